import KeyManagement

/// Where an endpoint puts the keys of a finished block: the demo's key stores, or a node's
/// two-phase commit.
public protocol BlockKeySink: AnyObject {
    /// Stores the keys of `blockID` and the slice of its secret key reserved for authentication
    /// (empty when none is reserved). Called before the endpoint tells its peer anything more
    /// about the block, so a returning call means the keys are durable.
    func store(blockID: UInt64, keys: [StoredKey], authenticationSlice: [UInt8]) throws
    /// Alice only: Bob has durably stored block `blockID`.
    func peerCommitted(blockID: UInt64) throws
}
