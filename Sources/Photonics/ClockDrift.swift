import QKDCore

/// The time of Bob's time tagger against Alice's pulse clock: each node runs on its own 10 MHz
/// reference, so Bob's reading of a pulse's arrival moves as the two oscillators drift apart.
///
/// Model (the usual one for a pair of quartz oscillators, e.g. Vig, "Quartz crystal resonators
/// and oscillators", US Army CECOM tutorial, 2004, ch. 4; Allan, Proc. IEEE 54, 221 (1966)):
/// - a relative fractional frequency offset `y`, constant at first: two oven-controlled crystal
///   oscillators (OCXO) calibrated against each other once differ by parts in 10⁹ after aging
///   and temperature ("a few ppb"; `frequencyOffsetDeviation` = 2e-9 rms is drawn at the start),
///   which moves the arrival time by about 2 ns per second;
/// - a random walk of that frequency (aging, oven regulation), diffusion `frequencyDiffusion`
///   = 1e-12 /√s: an Allan deviation of about 6e-12 at 100 s and 3e-11 at one hour, typical of a
///   good OCXO beyond its flicker floor;
/// - white phase noise of the comparison, `jitter` = 10 ps rms per click (the OCXOs' own jitter
///   is below a picosecond; the tagger's reference PLL adds about 10 ps), which adds to the
///   detectors' timing jitter in quadrature;
/// - an unknown initial offset `timeOffset` (cable delays, the tagger's start time), drawn
///   uniformly within ±0.5 µs (±38 pulse periods at 75.9 MHz).
///
/// `timeOffset` integrates the frequency: `x ← x + (y_before + y_after)/2 · Δt`.
public struct ClockDrift: Sendable {
    /// Standard deviation of the initial relative frequency offset.
    public static let frequencyOffsetDeviation = 2e-9
    /// Diffusion of the relative frequency (1/√s).
    public static let defaultFrequencyDiffusion = 1e-12
    /// White timing jitter of the clock comparison (s, rms).
    public static let defaultJitter = 10e-12
    /// Half-width of the range of the initial time offset (s).
    public static let initialOffsetRange = 0.5e-6

    /// Diffusion of the relative frequency (1/√s).
    public let frequencyDiffusion: Double
    /// White timing jitter (s, rms).
    public let jitter: Double
    /// Bob's clock minus Alice's (s): how late Bob's tagger reads a pulse's arrival.
    public private(set) var timeOffset: Double
    /// Relative fractional frequency offset (Bob's rate over Alice's, minus one).
    public private(set) var fractionalFrequency: Double
    private var generator: SeededGenerator

    /// Creates a clock pair in a given state, with its own stream of `seed`.
    public init(timeOffset: Double, fractionalFrequency: Double, frequencyDiffusion: Double = ClockDrift.defaultFrequencyDiffusion,
                jitter: Double = ClockDrift.defaultJitter, seed: UInt64) throws {
        guard timeOffset.isFinite, fractionalFrequency.isFinite, abs(fractionalFrequency) < 1e-3,
              frequencyDiffusion >= 0, frequencyDiffusion.isFinite, jitter >= 0, jitter.isFinite else {
            throw QKDError(.invalidParameter, "clock drift needs a finite offset, a fractional frequency below 1e-3 and non-negative diffusion and jitter, got \(timeOffset) s, \(fractionalFrequency), \(frequencyDiffusion) /√s, \(jitter) s")
        }
        self.timeOffset = timeOffset
        self.fractionalFrequency = fractionalFrequency
        self.frequencyDiffusion = frequencyDiffusion
        self.jitter = jitter
        generator = SeededGenerator(seed: seed, stream: "clock-drift")
    }

    /// A clock pair at the default magnitudes, its initial offset and frequency drawn from `seed`.
    public static func typical(seed: UInt64) -> ClockDrift {
        var draw = SeededGenerator(seed: seed, stream: "clock-drift-initial")
        let offset = (2 * draw.nextUnitInterval() - 1) * initialOffsetRange
        let frequency = frequencyOffsetDeviation * draw.nextStandardNormal()
        // Valid by construction: finite offset, |frequency| far below 1e-3.
        return try! ClockDrift(timeOffset: offset, fractionalFrequency: frequency, seed: seed)
    }

    /// Advances both clocks by `seconds` of Alice's time.
    public mutating func advance(seconds: Double) {
        let before = fractionalFrequency
        fractionalFrequency += frequencyDiffusion * seconds.squareRoot() * generator.nextStandardNormal()
        timeOffset += (before + fractionalFrequency) / 2 * seconds
    }
}
