import Foundation

/// What one relay did: the key's ID (the same at both end nodes), its route, and the link keys
/// each hop consumed.
public struct RelayOutcome: Equatable, Sendable {
    /// The relayed key's ID, under which both end nodes store it.
    public let keyID: UUID
    /// The key's length, in bits.
    public let sizeBits: Int
    /// The route it travelled.
    public let route: RelayRoute
    /// The stored keys of each hop's link pool used as one-time pad, hop by hop (deleted at both
    /// ends of the hop).
    public let padKeyIDs: [[UUID]]
    /// The link key consumed by each hop, in bits, hop by hop.
    public let consumedBits: [Int]
}
