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
    /// Errors corrected by error correction (Bob's bits that differed from Alice's).
    public var correctedErrors: Int
    /// Bits disclosed by error correction (Cascade's parities; LDPC's syndrome bits less the
    /// punctured symbols, plus the revealed ones).
    public var disclosedBits: Int
    /// Error-correction round trips.
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
    /// The error-correction method the block ran (nil: none, the block was abandoned before or
    /// its figures are modelled).
    public var method: ReconciliationMethod? = nil
    /// Why the block was discarded before verification (LDPC decoding failed, a malformed
    /// message), nil otherwise.
    public var discardReason: String? = nil

    /// Whether `correctedErrors`, hence `qberZ` and `efficiency`, are the block's true errors:
    /// after verification, or for a block abandoned before error correction (Alice revealed her
    /// bits). A block that failed error correction or verification, or was discarded, has
    /// unknown errors; its `correctedErrors` count only what was corrected before it stopped
    /// (0 for a failed LDPC frame), so its QBER and f mean nothing.
    public var errorsAreKnown: Bool { verified || method == nil }

    /// Z-basis QBER measured by error correction (see `errorsAreKnown`).
    public var qberZ: Double { siftedBits == 0 ? 0 : Double(correctedErrors) / Double(siftedBits) }

    /// Reconciliation efficiency f = disclosed / (n h(QBER)), 0 if undefined (also in the JSON
    /// encoding, as `efficiency`, next to the stored fields; see `errorsAreKnown`).
    public var efficiency: Double {
        let ideal = Double(siftedBits) * QKDMath.binaryEntropy(qberZ)
        return ideal > 0 ? Double(disclosedBits) / ideal : 0
    }
}

extension BlockReport {
    private enum CodingKeys: String, CodingKey {
        case blockID, pulses, counts, siftedBits, correctedErrors, disclosedBits, roundTrips, verificationBits, verified, bound
        case secretBits, keysStored, leftoverBits, method, discardReason
    }

    private enum DerivedKeys: String, CodingKey {
        case efficiency
    }

    /// Encodes the stored fields and the derived `efficiency`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(blockID, forKey: .blockID)
        try container.encode(pulses, forKey: .pulses)
        try container.encode(counts, forKey: .counts)
        try container.encode(siftedBits, forKey: .siftedBits)
        try container.encode(correctedErrors, forKey: .correctedErrors)
        try container.encode(disclosedBits, forKey: .disclosedBits)
        try container.encode(roundTrips, forKey: .roundTrips)
        try container.encode(verificationBits, forKey: .verificationBits)
        try container.encode(verified, forKey: .verified)
        try container.encode(bound, forKey: .bound)
        try container.encode(secretBits, forKey: .secretBits)
        try container.encode(keysStored, forKey: .keysStored)
        try container.encode(leftoverBits, forKey: .leftoverBits)
        try container.encodeIfPresent(method, forKey: .method)
        try container.encodeIfPresent(discardReason, forKey: .discardReason)
        var derived = encoder.container(keyedBy: DerivedKeys.self)
        try derived.encode(efficiency, forKey: .efficiency)
    }
}
