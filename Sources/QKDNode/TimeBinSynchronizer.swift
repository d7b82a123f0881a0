import Foundation
import Photonics
import QKDCore

/// Bob's time-bin synchronisation: it keeps his gate windows on the photons' arrival although
/// his clock and Alice's drift apart and the fibre's delay changes (`ClockDrift`,
/// `FibreDelayDrift`), from nothing but his own time tags and the public pilot pattern.
///
/// Everything it reads is what Bob's time tagger records: the time of every click on his clock.
/// The arrival phase of a set of clicks is their circular mean over the pulse period T (the angle
/// of `Σ e^{2πi t/T}`), compared with the circular mean of the calibrated arrival profile
/// (`ArrivalTimeProfile` at zero offset: three peaks, at 0, τ and 2τ, each with the emission
/// tail). Dark counts are uniform and only shorten the resultant; a shift of every photon by δ
/// turns the angle by `2π δ / T`.
///
/// - Acquisition (`acquire`), before key exchange: Alice sends the pilot (`AcquisitionPilot`,
///   10 s of Z states in a public pseudo-random pattern). Bob measures the arrival phase in
///   every 0.1 s of the pilot, unwraps it and fits a line: its value gives the offset within a
///   period, its slope the clocks' relative frequency (about 0.1 ns and 2e-11 rms from 100
///   points of about 0.5 ns each). He then removes that line, assigns each click to a pulse and a gate
///   window, and cross-correlates his Z results with the pattern over whole-period offsets of
///   ±`maximumSlotOffset` pulses: the right offset agrees on about 90 % of the results, every
///   other on 50 %. Acquisition fails (throws) when the best agreement is below
///   `minimumPilotAgreement`.
/// - Tracking (`track`), every `updateSeconds` (1 s, about 1 100 clicks at 120 km): the arrival
///   phase of that second's histogram gives the residual offset e (standard deviation about
///   0.15 ns); a proportional-integral loop moves the windows by `proportionalGain` · e (0.1)
///   and the frequency estimate by `integralGain` · e / 1 s (0.005), a second-order loop that
///   follows a constant frequency offset without lag (complex poles of modulus 0.95 per update:
///   a time constant of about 20 s, a residual of about 40 ps rms from the estimate's noise,
///   which the clocks' and the fibre's wander, 1e-12 /√s and hours, hardly add to). An update whose
///   histogram is not concentrated enough (a fibre cut, stray light: below
///   `minimumConcentration` of the calibrated resultant) is skipped, and the windows keep moving
///   at the estimated frequency until the photons come back.
public struct TimeBinSynchronizer: Sendable {
    /// What the loop is doing.
    public enum State: String, Sendable, Codable {
        /// No pilot measured yet.
        case acquiring
        /// Following the arrival phase.
        case tracking
        /// The last histogram held too few photons; the windows move at the estimated frequency.
        case holding
    }

    /// What the acquisition found.
    public struct Acquisition: Sendable, Codable, Equatable {
        /// Estimated arrival offset at the pilot's end (s), whole periods included.
        public var offsetSeconds: Double
        /// Estimated relative frequency of the clocks.
        public var fractionalFrequency: Double
        /// Whole pulse periods of the offset.
        public var slotOffset: Int
        /// Fraction of Bob's pilot Z results that agree with the pattern at that offset.
        public var agreement: Double
        /// The best agreement at any other offset.
        public var runnerUpAgreement: Double
    }

    /// Link time of the acquisition pilot (s).
    public static let pilotSeconds = 10.0
    /// Length of the pilot's pieces whose arrival phases are fitted (s).
    public static let pilotStepSeconds = 0.1
    /// Tracking update interval (s).
    public static let updateSeconds = 1.0
    /// Whole-period offsets searched on either side of zero.
    public var maximumSlotOffset = 64
    /// Fewest agreeing pilot results at the best offset, as a fraction.
    public var minimumPilotAgreement = 0.75
    /// Fraction of the residual offset corrected per update.
    public var proportionalGain = 0.1
    /// Fraction of the residual offset per update interval added to the frequency estimate.
    public var integralGain = 0.005
    /// Resultant of a histogram, relative to the calibrated profile's, below which it is skipped.
    public var minimumConcentration = 0.5

    /// The pulse period (s).
    public let period: Double
    private let tagger: TimeTagger
    private let timeBinSeparation: Double
    private let reference: (angle: Double, concentration: Double)
    /// Bob's estimate of the arrival offset at `time` (s).
    public private(set) var offset = 0.0
    /// Bob's estimate of the clocks' relative frequency.
    public private(set) var frequency = 0.0
    /// Link time of the last estimate (s).
    public private(set) var time = 0.0
    /// What the loop is doing.
    public private(set) var state = State.acquiring

    /// Creates the loop for Bob's calibrated link.
    public init(configuration: LinkConfiguration) {
        period = 1 / configuration.source.repetitionRate
        tagger = configuration.tagger
        timeBinSeparation = configuration.encoder.timeBinSeparation
        let profile = ArrivalTimeProfile(configuration: configuration, arrivalOffset: 0)
        reference = Self.circularMean(profile.expectedPerPulse.enumerated().map { (Double($0) + 0.5, $1) }, binWidth: period / Double(ArrivalTimeProfile.binCount), period: period)
    }

    /// Starts tracking from a known offset and frequency (as after a calibration by hand).
    public mutating func start(offset: Double, frequency: Double, at time: Double) {
        self.offset = offset
        self.frequency = frequency
        self.time = time
        state = .tracking
    }

    /// Bob's estimate of the arrival offset at link time `t`: where his windows are.
    public func estimatedOffset(at t: Double) -> Double { offset + frequency * (t - time) }

    /// Acquires from the pilot's clicks `tags` (times on Bob's clock), the pilot spanning link
    /// time `start ..< end`, Alice's pattern drawn from `patternSeed`; tracking starts at `end`.
    public mutating func acquire(tags: [PilotTag], start: Double, end: Double, patternSeed: UInt64) throws -> Acquisition {
        let steps = max(2, Int(((end - start) / Self.pilotStepSeconds).rounded()))
        let step = (end - start) / Double(steps)
        var sums = [(x: Double, y: Double, count: Int)](repeating: (0, 0, 0), count: steps)
        for tag in tags {
            let index = min(steps - 1, max(0, Int(((tag.time - start) / step).rounded(.down))))
            let angle = 2 * Double.pi * phase(of: tag.time) / period
            sums[index].x += cos(angle)
            sums[index].y += sin(angle)
            sums[index].count += 1
        }
        var points: [(t: Double, offset: Double)] = []
        for (index, sum) in sums.enumerated() where sum.count >= 20 {
            var offset = remainder(atan2(sum.y, sum.x) - reference.angle, 2 * Double.pi) / (2 * Double.pi) * period
            if let last = points.last { offset = last.offset + remainder(offset - last.offset, period) }
            points.append((start + (Double(index) + 0.5) * step - end, offset))
        }
        guard points.count >= 2 else {
            throw QKDError(.protocolFailure, "time-bin acquisition failed: the pilot held too few clicks (\(tags.count))")
        }
        let meanT = points.reduce(0) { $0 + $1.t } / Double(points.count)
        let meanOffset = points.reduce(0) { $0 + $1.offset } / Double(points.count)
        let covariance = points.reduce(0) { $0 + ($1.t - meanT) * ($1.offset - meanOffset) }
        let variance = points.reduce(0) { $0 + ($1.t - meanT) * ($1.t - meanT) }
        let slope = covariance / variance
        var fine = meanOffset - slope * meanT
        fine -= (fine / period).rounded(.down) * period
        let agreements = slotAgreements(tags: tags, fine: fine, slope: slope, end: end, patternSeed: patternSeed)
        guard let best = agreements.indices.max(by: { agreements[$0] < agreements[$1] }), agreements[best] >= minimumPilotAgreement else {
            throw QKDError(.protocolFailure, "time-bin acquisition failed: no offset within ±\(maximumSlotOffset) pulses matches the pilot pattern (best agreement \(agreements.max() ?? 0))")
        }
        let slotOffset = best - maximumSlotOffset
        self.start(offset: fine + Double(slotOffset) * period, frequency: slope, at: end)
        return Acquisition(
            offsetSeconds: offset, fractionalFrequency: slope, slotOffset: slotOffset, agreement: agreements[best],
            runnerUpAgreement: agreements.indices.filter { $0 != best }.map { agreements[$0] }.max() ?? 0)
    }

    /// The fraction of pilot Z results that agree with the pattern at each whole-period offset
    /// from `-maximumSlotOffset`, once the fitted arrival line is removed.
    private func slotAgreements(tags: [PilotTag], fine: Double, slope: Double, end: Double, patternSeed: UInt64) -> [Double] {
        var results: [(slot: Int64, late: Bool)] = []
        for tag in tags {
            let local = tag.time - fine - slope * (tag.time - end)
            let slot = (local / period).rounded(.down)
            switch tagger.slot(forArrivalTime: local - slot * period, timeBinSeparation: timeBinSeparation) {
            case 0: results.append((Int64(slot), false))
            case 2: results.append((Int64(slot), true))
            default: break
            }
        }
        guard !results.isEmpty else { return [Double](repeating: 0, count: 2 * maximumSlotOffset + 1) }
        return (-maximumSlotOffset...maximumSlotOffset).map { shift in
            let agreeing = results.reduce(0) { $0 + (AcquisitionPilot.patternBit(slot: $1.slot - Int64(shift), seed: patternSeed) == $1.late ? 1 : 0) }
            return Double(agreeing) / Double(results.count)
        }
    }

    /// Takes the histogram of Bob's clicks (`ArrivalTimeProfile.binCount` bins over the pulse
    /// period, on his corrected clock) of the interval ending at link time `end`, and updates
    /// the loop.
    public mutating func track(histogram: [UInt64], end: Double) {
        guard state != .acquiring else { return }
        let binWidth = period / Double(histogram.count)
        let mean = Self.circularMean(histogram.enumerated().map { (Double($0) + 0.5, Double($1)) }, binWidth: binWidth, period: period)
        guard mean.concentration >= minimumConcentration * reference.concentration else {
            state = .holding
            return
        }
        let error = remainder(mean.angle - reference.angle, 2 * Double.pi) / (2 * Double.pi) * period
        let interval = max(end - time, 1e-9)
        offset = estimatedOffset(at: end) + proportionalGain * error
        frequency += integralGain * error / interval
        time = end
        state = .tracking
    }

    /// `t` modulo the period, in [0, T).
    private func phase(of t: Double) -> Double { t - (t / period).rounded(.down) * period }

    /// The circular mean of weights at bin positions (in bins): angle (rad) and resultant
    /// length over total weight.
    private static func circularMean(_ bins: [(position: Double, weight: Double)], binWidth: Double, period: Double) -> (angle: Double, concentration: Double) {
        var x = 0.0, y = 0.0, total = 0.0
        for (position, weight) in bins {
            let angle = 2 * Double.pi * position * binWidth / period
            x += weight * cos(angle)
            y += weight * sin(angle)
            total += weight
        }
        return (atan2(y, x), total > 0 ? (x * x + y * y).squareRoot() / total : 0)
    }
}
