/// The answer to `status`: the link between the caller (master) and a slave SAE.
public struct KMEStatus: Codable, Equatable, Sendable {
    /// This KME.
    public let source_KME_ID: String
    /// The slave's KME.
    public let target_KME_ID: String
    /// The caller.
    public let master_SAE_ID: String
    /// The slave.
    public let slave_SAE_ID: String
    /// The default key size, in bits.
    public let key_size: Int
    /// How many keys of `key_size` bits the store can still deliver.
    public let stored_key_count: Int
    /// The most keys the store may hold.
    public let max_key_count: Int
    /// The most keys in one request.
    public let max_key_per_request: Int
    /// The largest key size, in bits.
    public let max_key_size: Int
    /// The smallest key size, in bits.
    public let min_key_size: Int
    /// The most additional slaves in one request (0: no multicast).
    public let max_SAE_ID_count: Int
}
