/// The keys cut from one block's secret key, and how many bits were too few to fill another key.
public struct KeyChunks: Equatable, Sendable {
    /// The keys, in the order of the secret key's bits.
    public let keys: [StoredKey]
    /// The number of trailing secret-key bits that did not fill a whole key and were dropped.
    public let leftoverBitCount: Int

    /// Creates a result from the keys and the number of dropped bits.
    public init(keys: [StoredKey], leftoverBitCount: Int) {
        self.keys = keys
        self.leftoverBitCount = leftoverBitCount
    }
}
