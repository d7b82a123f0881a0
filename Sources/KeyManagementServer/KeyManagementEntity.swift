import Crypto
import Foundation
import KeyManagement
import KeyRelay
import QKDCore

/// The ETSI GS QKD 014 logic of a KME, apart from HTTP and TLS: who may ask what, request
/// limits, and delivery from a ``KeyDeliveryStore``. Every refusal is an ``ETSIError``; nothing
/// is taken from the store unless the whole request is valid.
///
/// With a peer KME (``KMEConfiguration/peer``), `enc_keys` takes keys of this KME's share out of
/// its store, tells the peer which keys went to which pair, and answers only once the peer has
/// recorded them: the slave then gets exactly those keys, once, from the peer. If the peer cannot
/// be reached or refuses, the request gets 503 and the keys taken are discarded, never offered
/// again (the peer may have recorded them before the failure; no key is ever given to two
/// requests, at the price of the keys of failed requests).
///
/// With a relay configuration (``KMEConfiguration/relay``), every pair has its other SAE at
/// another node of the network: `enc_keys` relays fresh keys to that node's KME hop by hop
/// (``KMERelay``), which keeps them for `dec_keys`.
///
/// Hybrid keys (``KeyRequest/Hybrid``) are served on request by a KME with a peer or a relay
/// configuration, where a second KME can take part in an ML-KEM-768 exchange. On a direct link
/// the master's KME takes the QKD keys as for plain keys, draws an ephemeral ML-KEM-768 key pair
/// and sends the encapsulation key with its ``PeerDeliveryNotice``; the peer KME encapsulates a
/// fresh secret to it for each key, records the hybrid key of ``KeyRelay/HybridKeyDerivation`` in
/// place of the QKD key (one transaction) and answers with the ciphertexts
/// (``PeerDeliveryAnswer``); the master's KME decapsulates them, derives the same hybrid keys and
/// hands them out under the QKD keys' IDs. The slave's `dec_keys` then returns the hybrid keys.
public struct KeyManagementEntity: Sendable {
    /// The configuration (IDs, pairs, limits).
    public let configuration: KMEConfiguration
    private let store: any KeyDeliveryStore
    private let peer: PeerKMEClient?
    private let relay: KMERelay?

    /// Creates a KME serving `configuration.pairs` from `store`; a relaying KME draws the keys it
    /// relays with `drawRelayKey(byteCount)` (by default the system's secure generator; tests
    /// inject known keys). Throws `QKDError` `.malformedInput` if the peer certificate files of
    /// the configuration cannot be read, or what opening a relay link's pool throws.
    public init(
        configuration: KMEConfiguration, store: any KeyDeliveryStore,
        drawRelayKey: @escaping @Sendable (Int) -> [UInt8] = KeyRelayNetwork.systemRandomBytes
    ) throws {
        self.configuration = configuration
        self.store = store
        peer = try configuration.peer.map { try PeerKMEClient(configuration: configuration, peer: $0) }
        relay = try configuration.relay.map { _ in try KMERelay(configuration: configuration, deliveries: store, drawKey: drawRelayKey) }
    }

    /// `status`: the link from `caller` (master) to `slave`.
    public func status(caller: String, slave: String) async throws(ETSIError) -> KMEStatus {
        let pair = try authorize(SAEPair(master: caller, slave: slave), caller: caller)
        let capacity: (keys: Int, node: String)
        if let relay {
            capacity = await relay.capacity(toSAE: slave, sizeBits: configuration.keySize)
        } else {
            let bits = try await storeCall { try await store.availableBits(in: configuration.share) }
            capacity = (bits / configuration.keySize, configuration.peerKMEID)
        }
        return KMEStatus(
            source_KME_ID: configuration.kmeID, target_KME_ID: capacity.node,
            master_SAE_ID: pair.master, slave_SAE_ID: pair.slave,
            key_size: configuration.keySize, stored_key_count: capacity.keys,
            max_key_count: configuration.maxKeyCount, max_key_per_request: configuration.maxKeyPerRequest,
            max_key_size: configuration.maxKeySize, min_key_size: configuration.minKeySize,
            max_SAE_ID_count: configuration.maxSAEIDCount
        )
    }

    /// `enc_keys`: new keys for `caller` (master) to share with `slave` and the request's
    /// additional slaves (each must form a configured pair with `caller`, else 401; at most
    /// `max_SAE_ID_count`, none repeated, else 400). Every slave gets the same keys, once.
    public func encryptionKeys(caller: String, slave: String, request: KeyRequest) async throws(ETSIError) -> KeyContainer {
        let pair = try authorize(SAEPair(master: caller, slave: slave), caller: caller)
        let number = request.number ?? 1
        let size = request.size ?? configuration.keySize
        guard (1...configuration.maxKeyPerRequest).contains(number) else {
            throw .badRequest(
                "number \(number) is outside 1...\(configuration.maxKeyPerRequest) (max_key_per_request)",
                details: [["parameter": "number"]]
            )
        }
        guard size % 8 == 0, (configuration.minKeySize...configuration.maxKeySize).contains(size) else {
            throw .badRequest(
                "size \(size) bits is not a multiple of 8 in \(configuration.minKeySize)...\(configuration.maxKeySize)",
                details: [["parameter": "size"]]
            )
        }
        let additionalSlaves = request.additionalSlaveSAEIDs
        guard additionalSlaves.count <= configuration.maxSAEIDCount else {
            throw .badRequest(
                "\(additionalSlaves.count) additional slaves exceed max_SAE_ID_count \(configuration.maxSAEIDCount)",
                details: [["parameter": "additional_slave_SAE_IDs"]]
            )
        }
        if let repeated = additionalSlaves.first(where: { $0 == slave || additionalSlaves.firstIndex(of: $0) != additionalSlaves.lastIndex(of: $0) }) {
            throw .badRequest("additional slave \(repeated) is named twice", details: [["additional_slave_SAE_IDs": repeated]])
        }
        for additional in additionalSlaves {
            _ = try authorize(SAEPair(master: caller, slave: additional), caller: caller)
        }
        if let relay {
            return KeyContainer(try await storeCall {
                try await relay.deliver(
                    count: number, sizeBits: size, pair: pair, additionalSlaves: additionalSlaves, hybrid: request.hybrid != .no)
            })
        }
        guard let peer else {
            if request.hybrid == .required {
                throw .badRequest(
                    "hybrid keys (extension \(KeyRequest.hybridExtension)) need a second KME to exchange an ML-KEM-768 secret with: "
                        + "\(configuration.kmeID) serves both SAEs of \(pair) from one store, with neither a peer nor a relay configured",
                    details: [["extension_mandatory": KeyRequest.hybridExtension]])
            }
            return KeyContainer(try await storeCall {
                try await store.takeForMaster(count: number, sizeBits: size, pair: pair, additionalSlaves: additionalSlaves)
            })
        }
        let hybrid = request.hybrid != .no
        let hybridSizes = (HybridKeyDerivation.minimumKeyByteCount * 8)...(HybridKeyDerivation.maximumKeyByteCount * 8)
        if hybrid, !hybridSizes.contains(size) {
            throw .badRequest(
                "size \(size) bits: a hybrid key needs \(hybridSizes.lowerBound)...\(hybridSizes.upperBound) bits", details: [["parameter": "size"]])
        }
        let kemKey = try await storeCall { hybrid ? try MLKEM768.PrivateKey() : nil }
        let share = configuration.share
        let deliveries = try await storeCall { try await store.takeForPeerDelivery(count: number, sizeBits: size, share: share) }
        let notice = PeerDeliveryNotice(
            pair: pair, additionalSlaves: additionalSlaves, sizeBits: size, deliveries: deliveries,
            hybridPublicKey: kemKey?.publicKey.rawRepresentation)
        let answer = try await storeCall { try await peer.confirm(notice) }
        guard let kemKey else {
            return KeyContainer(deliveries.map(\.key))
        }
        return KeyContainer(try await storeCall { try Self.hybridKeys(deliveries, answer: answer, privateKey: kemKey, peer: peer.peerKMEID) })
    }

    /// The master's half of a direct link's hybrid keys: the keys of `deliveries` joined with the
    /// ML-KEM-768 secrets the peer encapsulated to `privateKey` (its `answer`). Throws `QKDError`
    /// `.protocolFailure` naming the peer if the answer has no usable ciphertext for every key.
    private static func hybridKeys(
        _ deliveries: [KeyAssembly.Delivery], answer: PeerDeliveryAnswer, privateKey: MLKEM768.PrivateKey, peer: String
    ) throws -> [DeliveredKey] {
        guard let ciphertexts = answer.hybrid_ciphertexts, ciphertexts.count == deliveries.count else {
            throw QKDError(.protocolFailure, "the peer KME \(peer) returned no ML-KEM-768 ciphertext for every hybrid key")
        }
        do {
            return try zip(deliveries, ciphertexts).map { delivery, ciphertext in
                try HybridKeyDerivation.decapsulate(
                    qkdKey: delivery.key, ciphertext: [UInt8](Data(base64Encoded: ciphertext) ?? Data()), privateKey: privateKey)
            }
        } catch let error as QKDError {
            throw QKDError(.protocolFailure, "the peer KME \(peer) returned an unusable ML-KEM-768 ciphertext (\(error.message))")
        }
    }

    /// The peer KME's notice that it gave keys to a master whose slave is attached here: records
    /// them for the slave, as hybrid keys if the notice carries an ML-KEM-768 encapsulation key
    /// (the answer then has the ciphertexts). `callerSubject` is the subject of the caller's
    /// client certificate, which must be the configured peer's (else 401); a notice the store
    /// cannot record, or whose encapsulation key is not one, is 400.
    public func recordPeerDelivery(callerSubject: String, notice: PeerDeliveryNotice) async throws(ETSIError) -> PeerDeliveryAnswer {
        guard let peer = configuration.peer, callerSubject == peer.subject else {
            throw .unauthorized("\"\(callerSubject)\" is not the peer KME of \(configuration.kmeID)")
        }
        let pair = notice.pair
        let additionalSlaves = notice.additional_slave_SAE_IDs ?? []
        for slave in [pair.slave] + additionalSlaves {
            guard configuration.pairs.contains(SAEPair(master: pair.master, slave: slave)), configuration.localSAEIDs.contains(slave) else {
                throw .badRequest("the SAE pair \(pair.master) -> \(slave) has no slave attached to \(configuration.kmeID)")
            }
        }
        let peerShare = configuration.peerShare
        var derive: (@Sendable (DeliveredKey) throws -> DeliveredKey)?
        var ciphertexts: [String]?
        if let publicKeyText = notice.hybrid_public_key {
            guard let raw = Data(base64Encoded: publicKeyText), let publicKey = try? MLKEM768.PublicKey(rawRepresentation: raw) else {
                throw .badRequest("hybrid_public_key is not a Base64 ML-KEM-768 encapsulation key")
            }
            let encapsulations = try await storeCall { try notice.keys.map { _ in try HybridKeyDerivation.encapsulation(to: publicKey) } }
            let byKeyID = Dictionary(zip(notice.keys.map(\.key_ID), encapsulations)) { first, _ in first }
            derive = { key in
                guard let encapsulation = byKeyID[key.id] else {
                    throw QKDError(.invalidParameter, "key \(key.id) of the notice has no ML-KEM-768 secret")
                }
                return try HybridKeyDerivation.derive(qkdKey: key, sharedSecret: encapsulation.sharedSecret, ciphertext: encapsulation.ciphertext)
            }
            ciphertexts = encapsulations.map { Data($0.ciphertext).base64EncodedString() }
        }
        do {
            try await store.recordPeerDelivery(
                notice.reservations, sizeBits: notice.size, pair: pair, additionalSlaves: additionalSlaves, peerShare: peerShare,
                deriving: derive)
            return PeerDeliveryAnswer(hybridCiphertexts: ciphertexts)
        } catch let error as QKDError where [.notFound, .invalidParameter].contains(error.code) {
            throw .badRequest(error.message)
        } catch {
            throw .unavailable((error as? QKDError)?.message ?? "the key store failed (\(type(of: error)))")
        }
    }

    /// A neighbour KME's question how much key the links hold (``RelayLevelsRequest``);
    /// `callerSubject` must be the subject of a neighbour of a relay link (else 401).
    public func relayLevels(callerSubject: String, request: RelayLevelsRequest) async throws(ETSIError) -> RelayLevels {
        guard let relay, configuration.relay?.links.contains(where: { $0.subject == callerSubject }) == true else {
            throw .unauthorized("\"\(callerSubject)\" is not a neighbour KME of \(configuration.kmeID)")
        }
        return RelayLevels(levels: await relay.levels(visited: request.visited))
    }

    /// One hop of a key relay from a neighbour KME (``RelayForwardRequest``): forwarded, or
    /// stored for the slave here. 401 if `callerSubject` is not the neighbour at the other end
    /// of the hop's link, 400 if the request does not fit, 503 if the relay cannot go on.
    public func relayForward(callerSubject: String, request: RelayForwardRequest) async throws(ETSIError) -> RelayForwardAnswer {
        guard let relay else {
            throw .unauthorized("\(configuration.kmeID) relays no keys")
        }
        return try await storeCall { try await relay.forward(request, callerSubject: callerSubject) }
    }

    /// `dec_keys`: the keys with the requested IDs, for `caller` (slave) of `master`.
    public func decryptionKeys(caller: String, master: String, request: KeyIDsRequest) async throws(ETSIError) -> KeyContainer {
        let pair = try authorize(SAEPair(master: master, slave: caller), caller: caller)
        guard request.keyIDs.count <= configuration.maxKeyPerRequest else {
            throw .badRequest(
                "\(request.keyIDs.count) key IDs exceed max_key_per_request \(configuration.maxKeyPerRequest)",
                details: [["parameter": "key_IDs"]]
            )
        }
        let keys = try await storeCall { try await store.takeForSlave(ids: request.keyIDs, pair: pair) }
        return KeyContainer(keys)
    }

    private func authorize(_ pair: SAEPair, caller: String) throws(ETSIError) -> SAEPair {
        guard configuration.pairs.contains(pair) else {
            throw .unauthorized("SAE \(caller) is not part of the SAE pair \(pair)")
        }
        return pair
    }

    /// Runs a store call, translating its `QKDError`s into the ETSI contract: unknown key IDs are
    /// 400, too little key material and store failures 503.
    private func storeCall<Value>(_ body: () async throws -> Value) async throws(ETSIError) -> Value {
        do {
            return try await body()
        } catch let error as ETSIError {
            throw error
        } catch let error as QKDError {
            switch error.code {
            case .notFound: throw .badRequest(error.message, details: [["parameter": "key_ID"]])
            case .invalidParameter: throw .badRequest(error.message)
            default: throw .unavailable(error.message)
            }
        } catch {
            throw .unavailable("the key store failed (\(type(of: error)))")
        }
    }
}
