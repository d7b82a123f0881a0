/// The two directions of the classical channel; each has its own stream of one-time pads.
public enum LinkDirection: UInt8, Sendable, CaseIterable {
    /// Frames Alice sends.
    case aliceToBob = 0
    /// Frames Bob sends.
    case bobToAlice = 1
}
