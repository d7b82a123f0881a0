/// What a key store of a relay network holds, so that the network's owner decides where each
/// store lives (memory for tests and simulations, an SQLite file for a KME).
public enum RelayStoreRole: Hashable, Sendable, CustomStringConvertible {
    /// Node `node`'s copy of the keys distilled by link `link`, the pads of one-time-pad hops.
    case linkPool(node: String, link: String)
    /// The keys that node `node` shares with end node `peer` through relay, served to their SAEs
    /// through ETSI GS QKD 014 like the keys of a direct link (``KeyManagement/KeyDeliveryStore``).
    case relayedKeys(node: String, peer: String)

    /// "node A, link A-B" or "node A, relayed keys with C".
    public var description: String {
        switch self {
        case let .linkPool(node, link): "node \(node), link \(link)"
        case let .relayedKeys(node, peer): "node \(node), relayed keys with \(peer)"
        }
    }
}
