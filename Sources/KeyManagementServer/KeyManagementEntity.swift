import Foundation
import KeyManagement
import QKDCore

/// The ETSI GS QKD 014 logic of a KME, apart from HTTP and TLS: who may ask what, request
/// limits, and delivery from a ``KeyDeliveryStore``. Every refusal is an ``ETSIError``; nothing
/// is taken from the store unless the whole request is valid.
public struct KeyManagementEntity: Sendable {
    /// The configuration (IDs, pairs, limits).
    public let configuration: KMEConfiguration
    private let store: any KeyDeliveryStore

    /// Creates a KME serving `configuration.pairs` from `store`.
    public init(configuration: KMEConfiguration, store: any KeyDeliveryStore) {
        self.configuration = configuration
        self.store = store
    }

    /// `status`: the link from `caller` (master) to `slave`.
    public func status(caller: String, slave: String) async throws(ETSIError) -> KMEStatus {
        let pair = try authorize(SAEPair(master: caller, slave: slave), caller: caller)
        let bits = try await storeCall { try await store.availableBits() }
        return KMEStatus(
            source_KME_ID: configuration.kmeID, target_KME_ID: configuration.peerKMEID,
            master_SAE_ID: pair.master, slave_SAE_ID: pair.slave,
            key_size: configuration.keySize, stored_key_count: bits / configuration.keySize,
            max_key_count: configuration.maxKeyCount, max_key_per_request: configuration.maxKeyPerRequest,
            max_key_size: configuration.maxKeySize, min_key_size: configuration.minKeySize, max_SAE_ID_count: 0
        )
    }

    /// `enc_keys`: new keys for `caller` (master) to share with `slave`.
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
        guard request.additionalSlaveSAEIDs.isEmpty else {
            throw .badRequest(
                "additional_slave_SAE_IDs: this KME does not deliver to several slaves (max_SAE_ID_count is 0)",
                details: [["parameter": "additional_slave_SAE_IDs"]]
            )
        }
        let keys = try await storeCall { try await store.takeForMaster(count: number, sizeBits: size, pair: pair) }
        return KeyContainer(keys)
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
