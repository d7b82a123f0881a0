/// The secret length of one block and every intermediate bound that produced it, so that a user
/// can audit each step.
public struct SecretKeyBound: Sendable, Equatable, Codable {
    /// Secret bits that privacy amplification may output (0 if none).
    public var secretBits: Int
    /// Sifted Z bits (n_Z).
    public var siftedZ: UInt64
    /// Upper bound on tagged (multi-photon) events among them.
    public var taggedZUpper: Double
    /// Lower bound on untagged (vacuum or single-photon) sifted Z bits, `s_u = n_Z - M_Z`.
    public var untaggedZLower: Double
    /// Lower bound on sifted Z bits from vacuum pulses counted apart (decoy analyses; 0 where
    /// vacuum bits are counted with the single-photon ones).
    public var vacuumZLower: Double
    /// Lower bound on the sifted Z bits whose phase errors are bounded.
    public var singlePhotonZLower: Double
    /// Upper bound on the expected number of phase errors among untagged Z events.
    public var expectedPhaseErrorsUpper: Double
    /// Upper bound on the number of phase errors among untagged Z events.
    public var phaseErrorsUpper: Double
    /// Upper bound on the phase error rate, `min(1/2, phaseErrorsUpper / singlePhotonZLower)`.
    public var phaseErrorRateUpper: Double
    /// Bits disclosed by error correction and verification (λ_EC).
    public var leakage: Int
    /// Bits removed for privacy amplification, `2 log2(1 / (2 ε_PA))`.
    public var privacyAmplificationCost: Double
    /// Why the length is zero, if it is.
    public var reasonForNoKey: String?
}
