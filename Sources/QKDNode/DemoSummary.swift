/// The result of `qkd demo`: the fields of its `--json` output (SI units, rates as fractions).
public struct DemoSummary: Sendable, Codable, Equatable {
    /// Preset or configuration name.
    public var preset: String
    /// Fibre length (km).
    public var distanceKm: Double
    /// Channel loss of the fibre (dB).
    public var lossDb: Double
    /// Simulated link time (s).
    public var durationSeconds: Double
    /// Pulses sent.
    public var pulses: UInt64
    /// Pulses with at least one click inside a gate window.
    public var detections: UInt64
    /// Sifted Z-basis bits (Alice Z, Bob Z).
    public var siftedBitsZ: UInt64
    /// Sifted X-basis events (Alice |+>, Bob X).
    public var siftedBitsX: UInt64
    /// Z-basis QBER measured by error correction (or by revealing abandoned blocks), over the
    /// blocks whose errors are known (`BlockReport.errorsAreKnown`).
    public var qberZ: Double
    /// X-basis QBER.
    public var qberX: Double
    /// Bits disclosed by error correction.
    public var disclosedBits: Int
    /// Verification tag bits disclosed.
    public var verificationBits: Int
    /// Mean reconciliation efficiency f = disclosed / (n h(QBER_Z)) over reconciled blocks whose
    /// errors are known.
    public var efficiency: Double
    /// Error-correction round trips, all blocks.
    public var roundTrips: Int
    /// Finite-key blocks processed.
    public var blocks: Int
    /// Blocks that gave key.
    public var blocksWithKey: Int
    /// Blocks whose verification failed (discarded).
    public var verificationFailures: Int
    /// Secret bits extracted.
    public var secretBits: Int
    /// Secret key rate (bit/s of link time).
    public var secretKeyRate: Double
    /// Secret bits per pulse.
    public var secretBitsPerPulse: Double
    /// The repeaterless bound at this channel loss (bit per pulse).
    public var repeaterlessBoundBitsPerPulse: Double
    /// Upper bound on the phase error rate, averaged over blocks weighted by sifted bits.
    public var phaseErrorRateUpper: Double
    /// Correctness epsilon of each block.
    public var epsilonCorrectness: Double
    /// Secrecy epsilon of each block.
    public var epsilonSecrecy: Double
    /// Total security epsilon of each block.
    public var epsilonSecurity: Double
    /// Keys stored on each side.
    public var keysStored: Int
    /// Size of each stored key (bits).
    public var keySizeBits: Int
    /// Whether Alice's and Bob's stores hold the same IDs with the same bits.
    public var keysIdentical: Bool
    /// The two key store files (Alice, Bob); empty when no key was written.
    public var keyStores: [String]
    /// Why no key was produced, when none was.
    public var noKeyReason: String?
    /// The seed of the run.
    public var seed: UInt64
    /// Blocks reconciled with each method (`cascade`, `ldpc`).
    public var blocksByMethod: [String: Int] = [:]
    /// Blocks discarded before verification (LDPC decoding failed, a malformed message).
    public var blocksDiscarded: Int = 0
}
