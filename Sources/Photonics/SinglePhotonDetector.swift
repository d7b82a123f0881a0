import QKDCore

/// A superconducting nanowire single-photon detector.
///
/// Dead time and afterpulsing are not modelled: at the count rates of long links (kHz) with
/// SNSPD recovery times of tens of ns, their effect is below 10^-4 of the counts.
public struct SinglePhotonDetector: Sendable, Equatable {
    /// System detection efficiency (0...1).
    public var efficiency: Double
    /// Dark-count rate (Hz).
    public var darkCountRate: Double
    /// Timing jitter, Gaussian standard deviation (s).
    public var timingJitter: Double

    /// Creates a detector, validating every parameter.
    public init(efficiency: Double, darkCountRate: Double, timingJitter: Double) throws {
        guard efficiency > 0, efficiency <= 1 else {
            throw QKDError(.invalidParameter, "detector efficiency must be in (0, 1], got \(efficiency)")
        }
        guard darkCountRate >= 0 else {
            throw QKDError(.invalidParameter, "detector dark-count rate must be non-negative, got \(darkCountRate) Hz")
        }
        guard timingJitter >= 0 else {
            throw QKDError(.invalidParameter, "detector timing jitter must be non-negative, got \(timingJitter) s")
        }
        self.efficiency = efficiency
        self.darkCountRate = darkCountRate
        self.timingJitter = timingJitter
    }
}
