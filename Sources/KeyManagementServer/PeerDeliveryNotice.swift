import Foundation
import KeyManagement

/// What the master's KME tells the slave's KME before it answers `enc_keys`
/// (`POST /api/v1/peer/deliveries`, KME to KME over mutual TLS): the keys it gave the master of
/// a pair, each with the stored keys it was cut from, so that the slave's KME cuts the same keys
/// from its copy of the link's keys.
///
/// ```json
/// {"master_SAE_ID": "SAE_A", "slave_SAE_ID": "SAE_B", "additional_slave_SAE_IDs": ["SAE_C"], "size": 256,
///  "hybrid_public_key": "Base64", "keys": [{"key_ID": "UUID", "stored_key_IDs": ["UUID", ...]}]}
/// ```
///
/// For hybrid keys (``KeyRequest/Hybrid``) the notice carries the master's KME's ephemeral
/// ML-KEM-768 encapsulation key (`hybrid_public_key`, optional): the slave's KME encapsulates a
/// secret to it for each key, records the hybrid key (``KeyRelay/HybridKeyDerivation``) in place
/// of the QKD key, and answers with the ciphertexts (``PeerDeliveryAnswer``).
public struct PeerDeliveryNotice: Codable, Equatable, Sendable {
    /// One delivered key.
    public struct Key: Codable, Equatable, Sendable {
        /// The key's ID, the ID of its first stored key.
        public let key_ID: UUID
        /// The stored keys it was cut from, in order.
        public let stored_key_IDs: [UUID]
    }

    /// The master SAE that got the keys.
    public let master_SAE_ID: String
    /// The slave SAE that will ask for them.
    public let slave_SAE_ID: String
    /// Further slaves that get the same keys (optional).
    public let additional_slave_SAE_IDs: [String]?
    /// The size of each key, in bits.
    public let size: Int
    /// For hybrid keys, the master's KME's ephemeral ML-KEM-768 encapsulation key (Base64 of its
    /// raw representation); nil for plain keys.
    public let hybrid_public_key: String?
    /// The keys.
    public let keys: [Key]

    /// The notice of `deliveries` of `sizeBits` bits each to `pair` and `additionalSlaves`;
    /// hybrid keys if `hybridPublicKey` (raw ML-KEM-768 encapsulation key) is given.
    public init(
        pair: SAEPair, additionalSlaves: [String], sizeBits: Int, deliveries: [KeyAssembly.Delivery], hybridPublicKey: Data? = nil
    ) {
        master_SAE_ID = pair.master
        slave_SAE_ID = pair.slave
        additional_slave_SAE_IDs = additionalSlaves.isEmpty ? nil : additionalSlaves
        size = sizeBits
        hybrid_public_key = hybridPublicKey?.base64EncodedString()
        keys = deliveries.map { Key(key_ID: $0.key.id, stored_key_IDs: $0.storedKeyIDs) }
    }

    /// The pair.
    public var pair: SAEPair { SAEPair(master: master_SAE_ID, slave: slave_SAE_ID) }

    /// The keys as reservations for the store.
    public var reservations: [KeyReservation] {
        keys.map { KeyReservation(keyID: $0.key_ID, storedKeyIDs: $0.stored_key_IDs) }
    }

    /// Parses a notice; 400 ``ETSIError`` if `body` is not one.
    public init(body: Data) throws(ETSIError) {
        do {
            self = try JSONDecoder().decode(PeerDeliveryNotice.self, from: body)
        } catch {
            throw .badRequest("the request body is not a peer delivery notice")
        }
    }
}
