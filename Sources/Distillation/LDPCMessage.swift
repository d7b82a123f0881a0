import QKDCore

/// A message of LDPC reconciliation (rate-adaptive with blind rounds). Transport and encoding
/// are up to the caller.
///
/// Alice starts with `syndrome`; Bob answers `accepted` (his decoding met the syndrome),
/// `revealRequest` (ask for the next symbols of the reveal order) or `failed` (reveal budget
/// spent: the frame is discarded); Alice answers a request with `reveal`, and Bob again with one
/// of the three.
public enum LDPCMessage: Sendable, Hashable {
    /// Alice to Bob: the frame plan and the syndrome of Alice's code word (`checkCount` bits).
    case syndrome(plan: LDPCFramePlan, syndrome: BitVector)
    /// Bob to Alice: reveal the values at `revealOrder[from ..< from + count]` of the frame
    /// layout; `from` is the number revealed so far.
    case revealRequest(from: Int, count: Int)
    /// Alice to Bob: the requested values, in adapting order.
    case reveal(values: BitVector)
    /// Bob to Alice: the syndrome is met; Bob holds his corrected key (to be verified by hash).
    case accepted
    /// Bob to Alice: decoding failed with the whole reveal budget spent; the frame is discarded.
    case failed
}
