import Foundation
import KeyManagement
import QKDCore

/// Trusted-node key relay across a network whose end nodes share no direct link, run in one
/// process: every node keeps its own copy of each adjacent link's keys and its own store of the
/// keys relayed to it.
///
/// ``relay(from:to:sizeBits:)`` chooses a route by available key (``RelayRoute``, recomputed
/// for every request), draws a fresh key at the source and forwards it hop by hop with a
/// one-time pad: on hop X -> Y, X takes the oldest stored keys of its copy of the link's pool,
/// at least as many bits as the key, as pad, deletes them, and sends the key XOR pad with the
/// pad's stored-key IDs; Y deletes the same stored keys from its copy and recovers the key. A
/// pad is never used twice: its stored keys are gone from both copies of the pool once used,
/// whatever happens next. Each intermediate node holds the key only while forwarding it,
/// overwrites it, and says so in its audit log. The two end nodes store the key under one new
/// ID in their stores of relayed keys (``RelayStoreRole/relayedKeys(node:peer:)``), from which
/// a KME serves it through ETSI GS QKD 014 exactly as a key of a direct link.
///
/// The one-time pad makes each hop information-theoretically secure given secret, uniform link
/// keys (Shannon, "Communication Theory of Secrecy Systems", Bell System Technical Journal 28,
/// 1949); the relayed key is then as secret as the link keys, provided every node on the route
/// is trusted, since each one sees the key in the clear.
public actor KeyRelayNetwork {
    /// The network.
    public nonisolated let network: NetworkDescription
    private let makeStore: @Sendable (RelayStoreRole) throws -> any KeyStore
    private let drawKey: @Sendable (Int) -> [UInt8]
    private var stores: [RelayStoreRole: any KeyStore] = [:]
    private var linksDown = Set<String>()
    private var auditLogs: [String: [String]] = [:]

    /// A network of `network`'s nodes and links, with the stores `makeStore` creates (by
    /// default in memory), and relayed keys of `drawKey(byteCount)` bytes (by default from the
    /// system's cryptographically secure generator; a seeded source only for simulations).
    /// Throws what `makeStore` throws.
    public init(
        network: NetworkDescription,
        makeStore: @escaping @Sendable (RelayStoreRole) throws -> any KeyStore = { _ in MemoryKeyStore() },
        drawKey: @escaping @Sendable (Int) -> [UInt8] = KeyRelayNetwork.systemRandomBytes
    ) throws {
        self.network = network
        self.makeStore = makeStore
        self.drawKey = drawKey
        for link in network.links {
            for node in [link.from, link.to] {
                stores[.linkPool(node: node, link: link.id)] = try makeStore(.linkPool(node: node, link: link.id))
            }
        }
    }

    /// `byteCount` bytes from the system's cryptographically secure random generator.
    public static func systemRandomBytes(_ byteCount: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<byteCount).map { _ in generator.next() }
    }

    /// Adds keys that link `linkID` distilled to the copies of its pool at both its ends. Throws
    /// `QKDError` `.notFound` for an unknown link, or what the stores throw.
    public func deposit(_ keys: [StoredKey], onLink linkID: String) throws {
        let link = try self.link(linkID)
        for node in [link.from, link.to] {
            try stores[.linkPool(node: node, link: link.id)]!.insert(keys)
        }
    }

    /// Takes link `linkID` out of service (`up == false`: relays route around it) or back in.
    /// Throws `QKDError` `.notFound` for an unknown link.
    public func setLink(_ linkID: String, up: Bool) throws {
        _ = try link(linkID)
        if up { linksDown.remove(linkID) } else { linksDown.insert(linkID) }
    }

    /// The key bits in link `linkID`'s pool (its `from` end's copy).
    public func availableBits(onLink linkID: String) throws -> Int {
        let link = try self.link(linkID)
        return try stores[.linkPool(node: link.from, link: link.id)]!.totalBits()
    }

    /// The route a relay of `sizeBits` bits from `source` to `destination` would take now.
    /// Throws like ``relay(from:to:sizeBits:)``.
    public func route(from source: String, to destination: String, sizeBits: Int) throws -> RelayRoute {
        try validate(source: source, destination: destination, sizeBits: sizeBits)
        return try RelayRoute.shortest(from: source, to: destination, sizeBits: sizeBits, in: network) { link in
            linksDown.contains(link.id) ? nil : try stores[.linkPool(node: link.from, link: link.id)]!.totalBits()
        }
    }

    /// Relays a fresh key of `sizeBits` bits from node `source` to node `destination` and stores
    /// it at both under one new ID.
    ///
    /// Throws `QKDError` `.invalidParameter` for an unknown or repeated node or a size that is
    /// not a positive multiple of 8, `.unavailable` (having consumed nothing) if no route has
    /// `sizeBits` bits of key on every link, and `.protocolFailure` if the two copies of a
    /// link's pool disagree (the pads already taken are then lost, never reused, and no key is
    /// stored).
    public func relay(from source: String, to destination: String, sizeBits: Int) throws -> RelayOutcome {
        let route = try self.route(from: source, to: destination, sizeBits: sizeBits)
        let keyID = UUID()
        var sourceKey = drawKey(sizeBits / 8)
        var key = sourceKey
        var padKeyIDs: [[UUID]] = [], consumedBits: [Int] = []
        for (hop, linkID) in route.links.enumerated() {
            let sender = route.nodes[hop], receiver = route.nodes[hop + 1]
            let (padIDs, pad, bits) = try takePad(sizeBits: sizeBits, node: sender, link: linkID)
            let ciphertext = zip(key, pad).map { $0 ^ $1 }
            erase(&key)
            let receiverPad = try takePad(ids: padIDs, sizeBits: sizeBits, node: receiver, link: linkID, keyID: keyID)
            key = zip(ciphertext, receiverPad).map { $0 ^ $1 }
            padKeyIDs.append(padIDs)
            consumedBits.append(bits)
            if hop > 0 {
                log(sender, "relay key \(keyID) (\(sizeBits) bits, \(route)): held from link \(route.links[hop - 1]) to link \(linkID), then erased")
            }
        }
        // Each end stores its own copy: the source the key it drew, the destination the key it
        // decrypted, so that a pad mismatch on any hop shows as different keys at the two ends.
        let now = Date()
        let sent = StoredKey(id: keyID, bytes: sourceKey, blockID: 0, createdAt: now)
        let received = StoredKey(id: keyID, bytes: key, blockID: 0, createdAt: now)
        erase(&sourceKey)
        erase(&key)
        let atSource = try relayedKeys(node: source, peer: destination)
        let atDestination = try relayedKeys(node: destination, peer: source)
        try atSource.insert([sent])
        do {
            try atDestination.insert([received])
        } catch {
            _ = try? atSource.remove(id: keyID)
            throw error
        }
        for (node, peer) in [(source, destination), (destination, source)] {
            log(node, "relay key \(keyID) (\(sizeBits) bits, \(route)): stored as a key shared with \(peer)")
        }
        return RelayOutcome(keyID: keyID, sizeBits: sizeBits, route: route, padKeyIDs: padKeyIDs, consumedBits: consumedBits)
    }

    /// Node `node`'s store of the keys it shares with `peer` through relay (created empty if
    /// none was relayed yet). Relayed keys carry block ID 0: they come from no distillation
    /// block of their own.
    public func relayedKeys(node: String, peer: String) throws -> any KeyStore {
        let role = RelayStoreRole.relayedKeys(node: node, peer: peer)
        if let store = stores[role] { return store }
        let store = try makeStore(role)
        stores[role] = store
        return store
    }

    /// Node `node`'s copy of link `linkID`'s pool, or nil if the node is not an end of the link.
    public func linkPool(node: String, link linkID: String) -> (any KeyStore)? {
        stores[.linkPool(node: node, link: linkID)]
    }

    /// Every store node `node` holds, by role.
    public func stores(of node: String) -> [RelayStoreRole: any KeyStore] {
        stores.filter { role, _ in
            switch role {
            case let .linkPool(owner, _), let .relayedKeys(owner, _): owner == node
            }
        }
    }

    /// Node `node`'s audit log, oldest line first.
    public func auditLog(of node: String) -> [String] {
        auditLogs[node] ?? []
    }

    private func link(_ linkID: String) throws -> NetworkDescription.Link {
        guard let link = network.links.first(where: { $0.id == linkID }) else {
            throw QKDError(.notFound, "the network has no link \"\(linkID)\"")
        }
        return link
    }

    private func validate(source: String, destination: String, sizeBits: Int) throws {
        for node in [source, destination] where !network.nodes.contains(where: { $0.id == node }) {
            throw QKDError(.invalidParameter, "the network has no node \"\(node)\"")
        }
        guard source != destination else {
            throw QKDError(.invalidParameter, "a relay needs two different nodes, not \(source) twice")
        }
        guard sizeBits > 0, sizeBits % 8 == 0 else {
            throw QKDError(.invalidParameter, "relayed key size \(sizeBits) bits is not a positive multiple of 8")
        }
    }

    /// The sender's pad: the oldest stored keys of its copy of the link's pool holding at least
    /// `sizeBits` bits, deleted from it; the pad is their first `sizeBits` bits. The pool finds
    /// them without a scan (``KeyManagement/KeyStore/oldestKeys(holdingAtLeast:)``), so a pad
    /// costs the same however much key the pool holds.
    private func takePad(sizeBits: Int, node: String, link: String) throws -> (ids: [UUID], pad: [UInt8], consumedBits: Int) {
        let pool = stores[.linkPool(node: node, link: link)]!
        let stored = try pool.oldestKeys(holdingAtLeast: sizeBits)
        let ids = stored.map(\.id)
        let material = stored.flatMap(\.bytes)
        guard material.count >= sizeBits / 8 else {
            throw QKDError(.unavailable, "link \(link) holds \(material.count * 8) bits at node \(node), fewer than \(sizeBits)")
        }
        for id in ids { _ = try pool.remove(id: id) }
        return (ids, Array(material.prefix(sizeBits / 8)), material.count * 8)
    }

    /// The receiver's pad: the stored keys `ids` of its copy of the link's pool, deleted from it.
    private func takePad(ids: [UUID], sizeBits: Int, node: String, link: String, keyID: UUID) throws -> [UInt8] {
        let pool = stores[.linkPool(node: node, link: link)]!
        var material: [UInt8] = []
        for id in ids {
            guard let stored = try pool.remove(id: id) else {
                throw QKDError(
                    .protocolFailure,
                    "relay key \(keyID): node \(node) lacks stored key \(id) of link \(link) that its peer used as pad; no key was stored")
            }
            material += stored.bytes
        }
        return Array(material.prefix(sizeBits / 8))
    }

    private func log(_ node: String, _ line: String) {
        auditLogs[node, default: []].append(line)
    }

    /// Overwrites `bytes` with zeros (best effort: copies the runtime made earlier are not reached).
    private func erase(_ bytes: inout [UInt8]) {
        for index in bytes.indices { bytes[index] = 0 }
    }
}
