import Foundation
import Photonics
import QKDCore
import Security

/// Bob's gate-width controller: it sets the width of his three gate windows (the time-bin
/// acceptance, `TimeTagger.gateWidth`) from what his own time tagger records, so that the link
/// gives the most key when the detectors' dark counts or the signal drift.
///
/// At 120 km the key is steep in the dark counts (100 → 140 Hz takes the preset's 2 ns gate to
/// no key). A window of width W keeps `1 - exp(-W/T1)` of a photon's emission (T1 the dot's
/// radiative lifetime) but `D W` of the dark counts; the photons of the neighbouring bin that
/// the window catches scale with the same factor as the signal, so narrowing trades signal
/// for a lower dark-count share of the Z and X errors, and the best width falls as D rises.
///
/// What it reads: the histogram of every click's time modulo the pulse period (64 bins,
/// `ArrivalTimeProfile`; the tagger records every click, the windows are applied in software),
/// the same histogram the time-bin synchronisation reads, summed over the frames the link alarm
/// did not flag for loss or stray light. Its expectation is `N (ρ s_i + β)` over N pulses, with
/// `s_i` the calibrated photon profile per pulse (three peaks with the emission tail, known
/// from the calibration, as for the synchronisation), ρ the signal relative to the calibration
/// (brightness times efficiency) and β the dark counts per bin and pulse (flat). Two sums
/// estimate both: all 64 bins, and the `quietBinCount` bins where `s_i` is smallest (the stretch
/// after the last peak, where only the tail remains: the dark-count floor). That is
/// `H/N = ρ S + 64 β`, `H_Q/N = ρ S_Q + n_Q β`, solved for ρ and β; the dark-count rate per
/// detector is `β / (2 Δt_bin)`. Over the 300 s update interval at 120 km the floor holds about
/// 15 000 dark counts: the estimate is good to about 1 %.
///
/// What it chooses: for every candidate width from `minimumWidth` to `maximumWidth` in steps of
/// `candidateStep`, the secret bits per pulse that the analytic model of the calibrated link,
/// with the estimated signal factor and dark-count rate, gives a block of the configured size
/// (`KeyRateModel`, finite-key, the expected counts of the pulses that fill one block); the best
/// is the optimum. Never the emulator's hidden state: only ρ and β estimated above and the
/// calibration. (The model assumes the phase lock's residual is zero; the residual, 0.15 rad,
/// costs the same X errors at every width and hardly moves the optimum.)
///
/// How it moves: every `updateSeconds` (300 s of counted frames) the width moves by `gain` (0.5)
/// of its distance to the optimum, at most `maximumStep` (0.1 ns) per update, so that one step
/// changes the count rate by at most 6 % (at 1 ns) and the alarm's count rule (10 % from its
/// slowly following reference) does not mistake it for a loss. From the preset's 2 ns to about
/// 1.3 ns takes 7 updates, 35 minutes; the dark counts wander over hours.
/// Limits: 1 ns to 3 ns (the windows must not overlap: 3.5 ns bins). When the estimated signal
/// falls below `minimumSignalFactor` of the calibration (a fibre cut the alarm missed, an
/// empty histogram) the update is skipped (`holding`) and the width stays.
public struct GateWidthController: Sendable {
    /// What the controller is doing.
    public enum State: String, Sendable, Codable {
        /// Counting the first update interval; the width is the calibrated one.
        case collecting
        /// Following the optimum.
        case tracking
        /// The last interval held too little signal; the width stays.
        case holding
    }

    /// Link time of counted frames per update (s).
    public static let updateSeconds = 300.0
    /// Bins of the histogram taken as the dark-count floor: those where the calibrated photon
    /// profile is smallest.
    public static let quietBinCount = 16
    /// Narrowest window (s).
    public var minimumWidth = 1.0e-9
    /// Widest window (s).
    public var maximumWidth = 3.0e-9
    /// Spacing of the candidate widths (s).
    public var candidateStep = 0.05e-9
    /// Fraction of the distance to the optimum moved per update.
    public var gain = 0.5
    /// Largest change of the width per update (s).
    public var maximumStep = 0.1e-9
    /// Signal relative to the calibration below which an update is skipped.
    public var minimumSignalFactor = 0.3

    /// The width of the gate windows now (s).
    public private(set) var width: Double
    /// What the controller is doing.
    public private(set) var state = State.collecting
    /// The last estimate of the dark-count rate per detector (Hz), nil before the first update.
    public private(set) var darkCountRate: Double?
    /// The last estimate of the signal relative to the calibration, nil before the first update.
    public private(set) var signalFactor: Double?
    /// The width the last update found best (s), nil before the first update.
    public private(set) var optimumWidth: Double?

    private let configuration: NodeConfiguration
    private let keyRate: KeyRateModel
    private let photonProfile: [Double]
    private let quietBins: [Int]
    private let binWidth: Double
    private let pulsesPerUpdate: UInt64
    private var histogram: [UInt64]
    private var pulses: UInt64 = 0

    /// Creates the controller for Bob's calibrated link, starting at its calibrated width.
    public init(configuration: NodeConfiguration) throws {
        self.configuration = configuration
        let link = configuration.link
        keyRate = try KeyRateModel(configuration: configuration, finiteSize: true)
        var darkFree = link
        darkFree.detector.darkCountRate = 0
        let profile = ArrivalTimeProfile(configuration: darkFree, arrivalOffset: 0).expectedPerPulse
        photonProfile = profile
        quietBins = Array(profile.indices.sorted { profile[$0] < profile[$1] }.prefix(Self.quietBinCount))
        binWidth = 1 / link.source.repetitionRate / Double(ArrivalTimeProfile.binCount)
        pulsesPerUpdate = UInt64(Self.updateSeconds * link.source.repetitionRate)
        histogram = [UInt64](repeating: 0, count: ArrivalTimeProfile.binCount)
        width = link.tagger.gateWidth
        maximumWidth = min(maximumWidth, link.encoder.timeBinSeparation)
    }

    /// Adds the arrival histogram of `pulses` pulses (`ArrivalTimeProfile.binCount` bins over the
    /// pulse period, on Bob's synchronised clock); updates the width once an update interval's
    /// pulses are in.
    public mutating func observe(histogram frame: [UInt64], pulses frameSlots: UInt64) throws {
        guard frame.count == histogram.count else {
            throw QKDError(.invalidParameter, "gate-width controller: a histogram needs \(histogram.count) bins, got \(frame.count)")
        }
        histogram = zip(histogram, frame).map { $0 + $1 }
        pulses += frameSlots
        if pulses >= pulsesPerUpdate { try update() }
    }

    /// Estimates the signal factor and the dark-count rate from the histogram gathered, moves
    /// the width towards the optimum, and starts a new interval.
    private mutating func update() throws {
        defer {
            histogram = [UInt64](repeating: 0, count: histogram.count)
            pulses = 0
        }
        let (signal, dark) = Self.estimate(histogram: histogram, pulses: pulses, photonProfile: photonProfile, quietBins: quietBins)
        signalFactor = signal
        darkCountRate = dark / (2 * binWidth)
        guard signal >= minimumSignalFactor else {
            state = .holding
            return
        }
        let best = try optimum(signalFactor: signal, darkCountRate: dark / (2 * binWidth))
        optimumWidth = best
        let step = min(maximumStep, max(-maximumStep, gain * (best - width)))
        width = min(maximumWidth, max(minimumWidth, width + step))
        state = .tracking
    }

    /// The signal factor ρ and the dark counts per bin and pulse β of `histogram` over `pulses`
    /// pulses, from the sums over all bins and over the quiet bins.
    static func estimate(histogram: [UInt64], pulses: UInt64, photonProfile: [Double], quietBins: [Int]) -> (signal: Double, darkPerBin: Double) {
        guard pulses > 0 else { return (0, 0) }
        let n = Double(histogram.count), quiet = Double(quietBins.count)
        let total = Double(histogram.reduce(0, +)) / Double(pulses)
        let floor = Double(quietBins.reduce(0) { $0 + histogram[$1] }) / Double(pulses)
        let profileTotal = photonProfile.reduce(0, +)
        let profileFloor = quietBins.reduce(0) { $0 + photonProfile[$1] }
        let signal = (total * quiet - floor * n) / (profileTotal * quiet - profileFloor * n)
        let dark = max(0, (floor - signal * profileFloor) / quiet)
        return (max(0, signal), dark)
    }

    /// The candidate width with the most expected secret bits per pulse for a link whose signal
    /// is `signalFactor` of the calibration and whose detectors count `darkCountRate` dark
    /// counts per second each; the narrowest when no width gives key.
    public func optimum(signalFactor: Double, darkCountRate: Double) throws -> Double {
        let calibrated = configuration.link
        var best = (width: minimumWidth, bitsPerPulse: 0.0)
        let count = Int(((maximumWidth - minimumWidth) / candidateStep).rounded(.down))
        for index in 0...count {
            let candidate = minimumWidth + Double(index) * candidateStep
            var conditions = LinkConditions()
            conditions.detectorEfficiencyFactor = signalFactor
            conditions.darkCountRateFactor = 0
            conditions.backgroundRate = darkCountRate
            conditions.gateWidth = candidate
            let model = AnalyticLinkModel(configuration: conditions.applied(to: calibrated))
            guard model.siftedZProbability > 0 else { continue }
            let blockPulses = Double(configuration.postProcessing.blockSize) / model.siftedZProbability
            let bound = try keyRate.secretKey(perIntensity: KeyRateModel.expectedCounts(model, pulses: blockPulses))
            let bitsPerPulse = Double(max(0, bound.secretBits)) / blockPulses
            if bitsPerPulse > best.bitsPerPulse { best = (candidate, bitsPerPulse) }
        }
        return best.width
    }
}
