import QKDCore

/// A single-photon detector (a superconducting nanowire, SNSPD, in the reference experiment).
///
/// Dead time and afterpulsing enter as stationary (mean-field) corrections computed from the
/// link's mean click rate, see `DetectorSaturation`: a click makes the detector blind for
/// `deadTime` (non-paralysable), and with probability `afterpulseProbability` it is followed by
/// a spurious click at a later time, spread over many pulse periods.
public struct SinglePhotonDetector: Sendable, Equatable {
    /// System detection efficiency (0...1).
    public var efficiency: Double
    /// Dark-count rate (Hz).
    public var darkCountRate: Double
    /// Timing jitter, Gaussian standard deviation (s).
    public var timingJitter: Double
    /// Recovery time after a click during which the detector is blind (s).
    public var deadTime: Double
    /// Probability that a click is followed by an afterpulse (0...1).
    public var afterpulseProbability: Double

    /// Creates a detector, validating every parameter.
    public init(efficiency: Double, darkCountRate: Double, timingJitter: Double, deadTime: Double = 0, afterpulseProbability: Double = 0) throws {
        guard efficiency > 0, efficiency <= 1 else {
            throw QKDError(.invalidParameter, "detector efficiency must be in (0, 1], got \(efficiency)")
        }
        guard darkCountRate >= 0, darkCountRate.isFinite else {
            throw QKDError(.invalidParameter, "detector dark-count rate must be non-negative, got \(darkCountRate) Hz")
        }
        guard timingJitter >= 0 else {
            throw QKDError(.invalidParameter, "detector timing jitter must be non-negative, got \(timingJitter) s")
        }
        guard deadTime >= 0, deadTime.isFinite else {
            throw QKDError(.invalidParameter, "detector dead time must be non-negative, got \(deadTime) s")
        }
        guard afterpulseProbability >= 0, afterpulseProbability < 1 else {
            throw QKDError(.invalidParameter, "detector afterpulse probability must be in [0, 1), got \(afterpulseProbability)")
        }
        self.efficiency = efficiency
        self.darkCountRate = darkCountRate
        self.timingJitter = timingJitter
        self.deadTime = deadTime
        self.afterpulseProbability = afterpulseProbability
    }
}
