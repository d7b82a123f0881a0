import Crypto
import Foundation
import KeyManagement
import KeyRelay
import QKDCore

/// Trusted-node key relay between running KMEs (``KMERelayConfiguration``): a KME whose SAE
/// asks for keys with an SAE attached to another node forwards a fresh key hop by hop to that
/// node's KME, over the mutual-TLS peer channel of each link, and both end KMEs serve it through
/// ETSI GS QKD 014 as a key of a direct link (`enc_keys` at the master's KME, `dec_keys` at the
/// slave's, same key ID).
///
/// A relay of `number` keys of `size` bits:
///
/// 1. Route. The source asks its neighbours, and they theirs, how much key every link holds
///    (``RelayLevelsRequest``), and picks the route of least total `1 / available bits` over the
///    links that hold `number × size` bits (``KeyRelay/RelayRoute``), so routes follow the fullest
///    pools and avoid links whose KME does not answer. If none has enough key: `.unavailable`
///    (HTTP 503), and no key has been taken from any pool.
/// 2. Hops. The source draws the keys from the system's secure generator; on each hop X -> Y, X
///    takes pads from its share of the link's pool (``KeyManagement/KeyShare``; the stored keys
///    are deleted at once) and sends key XOR pad with the pads' stored-key IDs
///    (``RelayForwardRequest``); Y deletes the same stored keys from its copy and recovers the
///    key. Each pad is used once: it is gone from both copies of the pool whatever happens next.
///    An intermediate KME holds the keys in memory only while re-encrypting them, overwrites
///    them, stores nothing, and says so in its audit log.
/// 3. Delivery. The last KME stores the keys for the slave (and additional slaves) in its store
///    of relayed keys, then answers; the source hands the keys to the master only then. A relay
///    that fails after step 1 (a pool emptied by a concurrent relay, a KME gone) gets 503 and its
///    keys are dropped: the pads already used are lost, never reused, and no key is delivered.
///
/// Hybrid keys (``KeyRequest/Hybrid``): the source adds a fresh ML-KEM-768 encapsulation key to
/// the relay; the last KME encapsulates a secret to it for each key, derives the hybrid key with
/// ``KeyRelay/HybridKeyDerivation`` and stores that, and returns the ciphertexts along the route;
/// the source decapsulates and derives the same keys under the same key IDs. The intermediate
/// KMEs see the QKD key but not the ML-KEM secret.
///
/// Security: each hop is a one-time pad (Shannon, "Communication Theory of Secrecy Systems",
/// Bell System Technical Journal 28, 1949), so the relayed key is as secret as the link keys
/// provided every node on the route is trusted.
final class KMERelay: Sendable {
    /// Where neighbours ask for link levels.
    static let levelsPath = "/api/v1/peer/relay/levels"
    /// Where neighbours forward relayed keys.
    static let forwardPath = "/api/v1/peer/relay/forward"

    /// This node's end of one link.
    private struct LinkEnd: Sendable {
        let linkID: String
        let neighbour: String
        let subject: String
        let pool: any KeyDeliveryStore
        let client: KMEClient
    }

    private let kmeID: String
    private let network: NetworkDescription
    private let localSAEs: Set<String>
    private let pairs: Set<SAEPair>
    private let links: [String: LinkEnd]
    private let relayedKeys: SQLiteKeyStore
    private let deliveries: any KeyDeliveryStore
    private let audit: RelayAuditLog
    private let drawKey: @Sendable (Int) -> [UInt8]

    /// The relay of the KME `configuration` (whose `relay` must be set), storing the keys relayed
    /// to it in `deliveries` (the KME's store, an SQLite file) and drawing keys with `drawKey`.
    /// Throws `QKDError` if a link's pool or a PEM file cannot be opened.
    init(configuration: KMEConfiguration, deliveries: any KeyDeliveryStore, drawKey: @escaping @Sendable (Int) -> [UInt8]) throws {
        guard let relay = configuration.relay else {
            throw QKDError(.invalidParameter, "KME \(configuration.kmeID) has no relay configuration")
        }
        kmeID = configuration.kmeID
        network = relay.network
        localSAEs = configuration.localSAEIDs
        pairs = Set(configuration.pairs)
        var links: [String: LinkEnd] = [:]
        for link in relay.links {
            guard let described = relay.network.links.first(where: { $0.id == link.linkID }) else { continue }
            links[link.linkID] = LinkEnd(
                linkID: link.linkID, neighbour: described.otherEnd(from: configuration.kmeID), subject: link.subject,
                pool: try SQLiteKeyDeliveryStore(path: link.storePath),
                client: try KMEClient(
                    host: link.host, port: link.port, certificatePath: link.certificatePath,
                    privateKeyPath: link.privateKeyPath, caPath: configuration.clientCAPath, timeouts: configuration.peerTimeouts))
        }
        self.links = links
        relayedKeys = try SQLiteKeyStore(path: configuration.storePath)
        self.deliveries = deliveries
        audit = RelayAuditLog(kmeID: configuration.kmeID, path: relay.auditLogPath)
        self.drawKey = drawKey
    }

    /// The node that `sae` is attached to.
    func node(ofSAE sae: String) -> String? {
        network.node(ofSAE: sae)
    }

    // MARK: - Source

    /// Relays `count` fresh keys of `sizeBits` bits for the master of `pair` (attached here) to
    /// the KME of its slave and `additionalSlaves`, and returns them once that KME has stored
    /// them; hybrid keys if `hybrid`.
    ///
    /// Throws `QKDError` `.invalidParameter` if the slaves are not all attached to one other node
    /// or a hybrid key would be shorter than 128 bits, `.unavailable` if no route has enough key
    /// (nothing consumed) or the relay fails on the way (see the type's documentation).
    func deliver(count: Int, sizeBits: Int, pair: SAEPair, additionalSlaves: [String], hybrid: Bool) async throws -> [DeliveredKey] {
        guard let destination = node(ofSAE: pair.slave), destination != kmeID else {
            throw QKDError(.invalidParameter, "SAE \(pair.slave) is attached to no other node of the network")
        }
        if let other = additionalSlaves.first(where: { node(ofSAE: $0) != destination }) {
            throw QKDError(.invalidParameter, "additional slave \(other) is not attached to node \(destination), the node of \(pair.slave)")
        }
        if hybrid, sizeBits < HybridKeyDerivation.minimumKeyByteCount * 8 {
            throw QKDError(.invalidParameter, "a hybrid key needs at least \(HybridKeyDerivation.minimumKeyByteCount * 8) bits, not \(sizeBits)")
        }
        let levels = await levels(visited: [])
        let route = try RelayRoute.shortest(from: kmeID, to: destination, sizeBits: count * sizeBits, in: network) { levels[$0.id] }
        guard let firstLink = links[route.links[0]] else {
            throw QKDError(.unavailable, "route \(route) starts on link \(route.links[0]), which node \(kmeID) has no end of")
        }
        var keys = (0..<count).map { _ in DeliveredKey(id: UUID(), bytes: drawKey(sizeBits / 8)) }
        let kemKey = hybrid ? try MLKEM768.PrivateKey() : nil
        let pads = try await takePads(count: count, sizeBits: sizeBits, over: firstLink)
        let request = RelayForwardRequest(
            master: pair.master, slave: pair.slave, additionalSlaves: additionalSlaves, size: sizeBits,
            route: route.nodes, links: route.links, hop: 0,
            hybridPublicKey: kemKey?.publicKey.rawRepresentation.base64EncodedString(),
            keys: zip(keys, pads).map { key, pad in
                RelayForwardRequest.Key(key_ID: key.id, pad_key_IDs: pad.storedKeyIDs, ciphertext: Data(Self.xor(key.bytes, pad.key.bytes)).base64EncodedString())
            })
        let answer: RelayForwardAnswer
        do {
            answer = try await send(request, over: firstLink)
        } catch {
            record(request, "not delivered: \((error as? QKDError)?.message ?? "\(error)"); its pads are consumed, never reused")
            Self.erase(&keys)
            throw error
        }
        guard let kemKey else {
            record(request, "drawn here for \(pair), sent over link \(firstLink.linkID), stored by \(destination) for the slave; handed to \(pair.master)")
            return keys
        }
        guard let ciphertexts = answer.hybrid_ciphertexts, ciphertexts.count == count else {
            throw QKDError(.protocolFailure, "KME \(destination) returned no ML-KEM-768 ciphertext for every hybrid key")
        }
        let hybridKeys: [DeliveredKey]
        do {
            hybridKeys = try zip(keys, ciphertexts).map { key, ciphertext in
                try HybridKeyDerivation.decapsulate(qkdKey: key, ciphertext: [UInt8](Data(base64Encoded: ciphertext) ?? Data()), privateKey: kemKey)
            }
        } catch let error as QKDError {
            Self.erase(&keys)
            throw QKDError(.protocolFailure, "KME \(destination) returned an unusable ML-KEM-768 ciphertext (\(error.message))")
        }
        Self.erase(&keys)
        record(request, "drawn here for \(pair), sent over link \(firstLink.linkID), stored by \(destination) for the slave; hybrid key with ML-KEM-768 handed to \(pair.master)")
        return hybridKeys
    }

    /// The number of keys of `sizeBits` bits the best route to `slave`'s node could carry now,
    /// and that node; 0 if no route has one.
    func capacity(toSAE slave: String, sizeBits: Int) async -> (keys: Int, node: String) {
        guard let destination = node(ofSAE: slave) else { return (0, "") }
        let levels = await levels(visited: [])
        guard let route = try? RelayRoute.shortest(from: kmeID, to: destination, sizeBits: sizeBits, in: network, availableBits: { levels[$0.id] })
        else { return (0, destination) }
        return ((route.links.compactMap { levels[$0] }.min() ?? 0) / sizeBits, destination)
    }

    // MARK: - Levels

    /// The available key of every link this node and, recursively, its neighbours not in
    /// `visited` know (``RelayLevelsRequest``). A link to a neighbour that was asked and did not
    /// answer is left out (treated as down).
    func levels(visited: [String]) async -> [String: Int] {
        let asked = links.values.filter { !visited.contains($0.neighbour) }.sorted { $0.neighbour < $1.neighbour }
        let visitedNext = visited + [kmeID] + asked.map(\.neighbour)
        var levels: [String: Int] = [:]
        for end in links.values where visited.contains(end.neighbour) {
            if let level = await ownLevel(end) { levels[end.linkID] = level }
        }
        let body = (try? JSONEncoder().encode(RelayLevelsRequest(visited: visitedNext))) ?? Data()
        let answers = await withTaskGroup(of: (LinkEnd, RelayLevels?).self) { group in
            for end in asked {
                group.addTask {
                    guard let answer = try? await end.client.send(Self.levelsPath, body: body), answer.status == 200 else { return (end, nil) }
                    return (end, try? JSONDecoder().decode(RelayLevels.self, from: answer.body))
                }
            }
            return await group.reduce(into: [(LinkEnd, RelayLevels?)]()) { $0.append($1) }
        }
        for (end, answer) in answers {
            guard let answer else { continue }
            if let level = await ownLevel(end) { levels[end.linkID] = level }
            levels.merge(answer.levels) { min($0, $1) }
        }
        return levels
    }

    /// The link's level as this node sees it: the smaller of the two ends' shares not yet taken.
    private func ownLevel(_ end: LinkEnd) async -> Int? {
        let mine = KeyShare.of(kmeID: kmeID, peerKMEID: end.neighbour)
        let theirs = KeyShare.of(kmeID: end.neighbour, peerKMEID: kmeID)
        guard let a = try? await end.pool.availableBits(in: mine), let b = try? await end.pool.availableBits(in: theirs) else { return nil }
        return min(a, b)
    }

    // MARK: - Intermediate and destination

    /// One hop of a relay arriving from the neighbour whose client certificate has
    /// `callerSubject`: recovers the keys, then forwards them over the route's next link or, at
    /// the route's end, stores them for the slave. Returns the answer to pass back.
    ///
    /// Throws ``ETSIError`` 401 if the caller is not the neighbour at the other end of the hop's
    /// link, 400 if the request does not fit this node, `QKDError` if a pool or the next KME fails.
    func forward(_ request: RelayForwardRequest, callerSubject: String) async throws -> RelayForwardAnswer {
        let linkID = request.links[request.hop]
        guard let end = links[linkID], end.subject == callerSubject, request.route[request.hop] == end.neighbour else {
            throw ETSIError.unauthorized("\"\(callerSubject)\" is not the KME at the other end of link \(linkID) from \(kmeID)")
        }
        guard request.route[request.hop + 1] == kmeID else {
            throw ETSIError.badRequest("the relay's hop \(request.hop) over link \(linkID) does not lead to \(kmeID)")
        }
        let isLast = request.hop + 1 == request.links.count
        let slaves = [request.slave_SAE_ID] + (request.additional_slave_SAE_IDs ?? [])
        if isLast {
            for slave in slaves where !localSAEs.contains(slave) || !pairs.contains(SAEPair(master: request.master_SAE_ID, slave: slave)) {
                throw ETSIError.badRequest("the SAE pair \(request.master_SAE_ID) -> \(slave) has no slave attached to \(kmeID)")
            }
        }
        let pads = try await receivePads(request.keys, sizeBits: request.size, over: end)
        var keys: [DeliveredKey] = []
        for (key, pad) in zip(request.keys, pads) {
            guard let ciphertext = Data(base64Encoded: key.ciphertext), ciphertext.count == pad.count else {
                throw QKDError(.protocolFailure, "relay key \(key.key_ID): its ciphertext is not \(request.size) bits of Base64")
            }
            keys.append(DeliveredKey(id: key.key_ID, bytes: Self.xor([UInt8](ciphertext), pad)))
        }
        if isLast {
            return try await store(keys, request: request, arrivedOver: linkID)
        }
        let nextLinkID = request.links[request.hop + 1]
        guard let next = links[nextLinkID], next.neighbour == request.route[request.hop + 2] else {
            throw ETSIError.badRequest("node \(kmeID) has no link \(nextLinkID) to \(request.route[request.hop + 2])")
        }
        let nextPads: [KeyAssembly.Delivery]
        do {
            nextPads = try await takePads(count: keys.count, sizeBits: request.size, over: next)
        } catch {
            Self.erase(&keys)
            record(request, "received over link \(linkID), not forwarded (\((error as? QKDError)?.message ?? "\(error)")); erased, not stored")
            throw error
        }
        let forwarded = request.forwarded(keys: zip(keys, nextPads).map { key, pad in
            RelayForwardRequest.Key(key_ID: key.id, pad_key_IDs: pad.storedKeyIDs, ciphertext: Data(Self.xor(key.bytes, pad.key.bytes)).base64EncodedString())
        })
        Self.erase(&keys)
        record(request, "received over link \(linkID), re-encrypted for link \(nextLinkID) to \(next.neighbour); held in memory only, erased, not stored")
        return try await send(forwarded, over: next)
    }

    /// Stores `keys` for the request's slaves in the store of relayed keys (hybrid keys if asked)
    /// and returns the answer for the source.
    private func store(_ keys: [DeliveredKey], request: RelayForwardRequest, arrivedOver linkID: String) async throws -> RelayForwardAnswer {
        var keys = keys
        defer { Self.erase(&keys) }
        var stored = keys
        var ciphertexts: [String]?
        if let publicKeyText = request.hybrid_public_key {
            let publicKey: MLKEM768.PublicKey
            do {
                publicKey = try MLKEM768.PublicKey(rawRepresentation: Data(base64Encoded: publicKeyText) ?? Data())
            } catch {
                throw ETSIError.badRequest("hybrid_public_key is not a Base64 ML-KEM-768 encapsulation key")
            }
            let encapsulations = try keys.map { try HybridKeyDerivation.encapsulate(qkdKey: $0, peerPublicKey: publicKey) }
            stored = encapsulations.map { $0.key }
            ciphertexts = encapsulations.map { Data($0.ciphertext).base64EncodedString() }
        }
        let now = Date()
        try relayedKeys.insert(stored.map { StoredKey(id: $0.id, bytes: $0.bytes, blockID: 0, createdAt: now) })
        do {
            try await deliveries.recordPeerDelivery(
                stored.map { KeyReservation(keyID: $0.id, storedKeyIDs: [$0.id]) }, sizeBits: request.size,
                pair: SAEPair(master: request.master_SAE_ID, slave: request.slave_SAE_ID),
                additionalSlaves: request.additional_slave_SAE_IDs ?? [], peerShare: .all)
        } catch {
            for key in stored { _ = try? relayedKeys.remove(id: key.id) }
            throw error
        }
        let kind = ciphertexts == nil ? "" : " as a hybrid key with ML-KEM-768"
        record(request, "received over link \(linkID), stored\(kind) for \(request.slave_SAE_ID) (master \(request.master_SAE_ID))")
        return RelayForwardAnswer(hybrid_ciphertexts: ciphertexts)
    }

    // MARK: - Pads and messages

    /// The sender's pads: `count` keys of `sizeBits` bits from this node's share of the link's
    /// pool, deleted from it.
    private func takePads(count: Int, sizeBits: Int, over end: LinkEnd) async throws -> [KeyAssembly.Delivery] {
        do {
            return try await end.pool.takeForPeerDelivery(
                count: count, sizeBits: sizeBits, share: KeyShare.of(kmeID: kmeID, peerKMEID: end.neighbour))
        } catch let error as QKDError where error.code == .unavailable {
            throw QKDError(.unavailable, "link \(end.linkID) at \(kmeID): \(error.message)")
        }
    }

    /// The receiver's pads: the stored keys the sender named, from the sender's share of this
    /// node's copy of the pool, deleted from it; cut as the sender cut them.
    private func receivePads(_ keys: [RelayForwardRequest.Key], sizeBits: Int, over end: LinkEnd) async throws -> [[UInt8]] {
        let pair = SAEPair(master: "relay pad from \(end.neighbour)", slave: "relay pad to \(kmeID)")
        let reservations = keys.map { KeyReservation(keyID: $0.pad_key_IDs.first ?? $0.key_ID, storedKeyIDs: $0.pad_key_IDs) }
        do {
            try await end.pool.recordPeerDelivery(
                reservations, sizeBits: sizeBits, pair: pair, peerShare: KeyShare.of(kmeID: end.neighbour, peerKMEID: kmeID))
            return try await end.pool.takeForSlave(ids: reservations.map(\.keyID), pair: pair).map(\.bytes)
        } catch let error as QKDError {
            throw QKDError(.protocolFailure, "link \(end.linkID): the pads \(end.neighbour) used are not in \(kmeID)'s copy of the pool (\(error.message))")
        }
    }

    /// Sends `request` to the neighbour at the other end of `end` and returns its answer.
    private func send(_ request: RelayForwardRequest, over end: LinkEnd) async throws -> RelayForwardAnswer {
        let answer: KMEClient.Answer
        do {
            answer = try await end.client.send(Self.forwardPath, body: try JSONEncoder().encode(request))
        } catch let error as QKDError {
            throw QKDError(.unavailable, "the KME \(end.neighbour) over link \(end.linkID) is unreachable (\(error.message))")
        }
        guard answer.status == 200, let decoded = try? JSONDecoder().decode(RelayForwardAnswer.self, from: answer.body) else {
            let message = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["message"] as? String
            throw QKDError(.unavailable, "the KME \(end.neighbour) over link \(end.linkID) refused the relay (HTTP \(answer.status): \(message ?? "no message"))")
        }
        return decoded
    }

    private func record(_ request: RelayForwardRequest, _ what: String) {
        let route = request.route.joined(separator: " -> ")
        for key in request.keys {
            audit.record("relay key \(key.key_ID.uuidString.lowercased()) (\(request.size) bits, \(route)): \(what)")
        }
    }

    private static func xor(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        zip(a, b).map { $0 ^ $1 }
    }

    /// Replaces the keys' material with zeros (best effort: copies the runtime made earlier are not reached).
    private static func erase(_ keys: inout [DeliveredKey]) {
        keys = keys.map { DeliveredKey(id: $0.id, bytes: [UInt8](repeating: 0, count: $0.bytes.count)) }
    }
}
