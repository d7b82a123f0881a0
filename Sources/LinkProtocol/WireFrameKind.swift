/// What a wire frame carries.
public enum WireFrameKind: UInt8, Sendable {
    /// A `SessionHello`: the handshake.
    case hello = 1
    /// One or more `LinkMessage`s, coalesced.
    case messages = 2
    /// The sender has finished (its device stream ended and every block is settled).
    case end = 3
}
