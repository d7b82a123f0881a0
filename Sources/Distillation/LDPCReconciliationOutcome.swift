import QKDCore

/// The result of reconciling one frame with `LDPCReconciler`.
public struct LDPCReconciliationOutcome: Sendable, Hashable {
    /// The plan used.
    public let plan: LDPCFramePlan
    /// Whether Bob's decoding met Alice's syndrome (before verification).
    public let succeeded: Bool
    /// Bob's corrected key when `succeeded`, else nil.
    public let correctedKey: BitVector?
    /// Bits disclosed about the key: syndrome bits minus initially punctured symbols plus
    /// revealed symbols (see `LDPCFrameLayout`), also when the frame failed.
    public let disclosedBits: Int
    /// Symbols (punctured values, then key bits) revealed in blind rounds.
    public let revealedBits: Int
    /// Round trips: the syndrome exchange plus one per blind round.
    public let roundTrips: Int
    /// Belief-propagation iterations over all decoding attempts.
    public let iterations: Int
}
