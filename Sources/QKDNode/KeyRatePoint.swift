/// One point of a key-rate study: the link at one value of the swept parameter (the `--format
/// json` objects of `qkd simulate`; SI units, rates as fractions, bits per pulse per channel use).
public struct KeyRatePoint: Sendable, Codable, Equatable {
    /// Preset or configuration name of the series.
    public var series: String
    /// `quantum-dot` or `laser`.
    public var source: String
    /// The swept parameter and its value at this point.
    public var sweepParameter: String
    /// The swept parameter's value.
    public var sweepValue: Double
    /// Fibre length (km).
    public var distanceKm: Double
    /// Channel loss: fibre plus extra losses (dB), the loss of the repeaterless bound.
    public var lossDb: Double
    /// Z-basis QBER of the sifted key.
    public var qberZ: Double
    /// X-basis QBER.
    public var qberX: Double
    /// Finite-key secret bits per pulse.
    public var secretBitsPerPulse: Double
    /// Finite-key secret key rate (bit/s).
    public var secretKeyRate: Double
    /// Asymptotic secret bits per pulse (same analysis without finite-size deviations).
    public var asymptoticBitsPerPulse: Double
    /// Asymptotic secret key rate (bit/s).
    public var asymptoticKeyRate: Double
    /// The repeaterless bound at this channel loss (bit per pulse).
    public var repeaterlessBoundBitsPerPulse: Double
    /// Sifted Z bits per finite-key block.
    public var blockSize: Int
    /// Link time to fill one block (s); nil when nothing is detected.
    public var blockSeconds: Double?
    /// Alice's Z-basis probability (optimised when the study optimises).
    public var zBasisProbability: Double
    /// Mean photon numbers per intensity (one for the quantum dot).
    public var intensities: [Double]
    /// Probability of each intensity.
    public var intensityProbabilities: [Double]
    /// Whether the counts came from the event-level emulator (else from the analytic model).
    public var emulated: Bool
    /// Why the finite-key rate is zero, when it is.
    public var noKeyReason: String?
}

extension KeyRatePoint {
    /// Sets the per-pulse and per-second rates.
    mutating func setRates(finite: Double, asymptotic: Double, repetitionRate: Double) {
        secretBitsPerPulse = finite
        secretKeyRate = finite * repetitionRate
        asymptoticBitsPerPulse = asymptotic
        asymptoticKeyRate = asymptotic * repetitionRate
    }
}
