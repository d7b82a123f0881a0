import QKDCore
import Security

/// What happened to one distillation block, as Bob saw it.
public struct BlockReport: Sendable, Equatable, Codable {
    /// The block's number.
    public var blockID: UInt64
    /// Pulses the block covers.
    public var pulses: UInt64
    /// The block's counts, with the Z results split by error correction (or by the revealed bits of
    /// an abandoned block); for a block that failed verification the Z results stay unsplit.
    public var counts: ThreeStateCounts
    /// Sifted Z bits.
    public var siftedBits: Int
    /// Errors corrected by Cascade (Bob's bits that differed from Alice's).
    public var correctedErrors: Int
    /// Parity bits disclosed by Cascade.
    public var disclosedBits: Int
    /// Cascade round trips.
    public var roundTrips: Int
    /// Verification tag bits disclosed.
    public var verificationBits: Int
    /// Whether verification found the two keys equal (false also when the block was abandoned
    /// before error correction).
    public var verified: Bool
    /// The security analysis of the block.
    public var bound: SecretKeyBound
    /// Secret bits extracted (0 if the block produced no key).
    public var secretBits: Int
    /// Keys stored from this block.
    public var keysStored: Int
    /// Secret bits that did not fill a whole key and were discarded.
    public var leftoverBits: Int

    /// Z-basis QBER measured by error correction.
    public var qberZ: Double { siftedBits == 0 ? 0 : Double(correctedErrors) / Double(siftedBits) }

    /// Reconciliation efficiency f = disclosed / (n h(QBER)), 0 if undefined.
    public var efficiency: Double {
        let ideal = Double(siftedBits) * QKDMath.binaryEntropy(qberZ)
        return ideal > 0 ? Double(disclosedBits) / ideal : 0
    }
}
