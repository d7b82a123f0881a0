import QKDCore

/// Where in the pulse period Bob's clicks fall: the expected histogram of every click's time tag
/// modulo the pulse period, which his time tagger records whatever the gate windows (the windows
/// are applied in software afterwards). The synchronisation loop reads it to find the arrival time.
///
/// Per pulse, a photon leaves Bob's interferometer by path `k` (0, 1, 2: short-short, the two
/// mixed, long-long) with the decoder's routing probabilities and arrives at
/// `k τ + delay + offset`, the delay drawn from the source's emission profile convolved with the
/// jitter (`PhotonTimingModel`); dark counts fall uniformly over the period. Photon clicks per
/// pulse are `Σ_s P(s) P_click(η Σ routing(s))`, multi-photon clicks counted once (the 120 km
/// link has one click per 70 000 pulses). The emulator itself keeps only the clicks inside the
/// gate windows, so the histogram is drawn from this profile, with its own random stream, rather
/// than from the emulated clicks: the same physics, without storing every tag.
public struct ArrivalTimeProfile: Sendable {
    /// Bins per pulse period.
    public static let binCount = 64
    /// The pulse period (s).
    public let period: Double
    /// Expected clicks per pulse in each bin.
    public let expectedPerPulse: [Double]

    /// The profile of `configuration` (already under its conditions) with the photons arriving
    /// `arrivalOffset` late relative to Bob's clock, `silentDetector` (a latched detector) giving
    /// no click.
    public init(configuration: LinkConfiguration, arrivalOffset: Double, silentDetector: Int? = nil) {
        let period = 1 / configuration.source.repetitionRate
        self.period = period
        let binWidth = period / Double(Self.binCount)
        let source = configuration.source
        let detectors = (0..<2).filter { $0 != silentDetector }
        var pathClicks = [0.0, 0.0, 0.0]
        for state in PreparedState.allCases {
            let probability = configuration.encoder.probability(of: state)
            guard probability > 0 else { continue }
            let photon = configuration.encoder.photonState(state)
            let routed = (0..<3).map { path in
                detectors.reduce(0.0) { $0 + configuration.decoder.routingProbability(photon: photon, slot: path, detector: $1) }
            }
            let total = routed.reduce(0, +)
            guard total > 0 else { continue }
            let clicks = (0..<source.intensityCount).reduce(0.0) { sum, intensity in
                sum + source.intensityProbability(intensity)
                    * source.detectionProbability(perPhotonTransmittance: configuration.photonTransmittance * total, intensity: intensity)
            }
            for path in 0..<3 { pathClicks[path] += probability * clicks * routed[path] / total }
        }
        let timing = source.timingModel(detectorJitter: configuration.detector.timingJitter)
        let wrapped = arrivalOffset - (arrivalOffset / period).rounded(.down) * period
        let dark = Double(detectors.count) * configuration.detector.darkCountRate * binWidth
        var expected = [Double](repeating: dark, count: Self.binCount)
        for path in 0..<3 where pathClicks[path] > 0 {
            let start = Double(path) * configuration.encoder.timeBinSeparation + wrapped
            // The arrival lies within [start - 10 σ, start + 40 T1]: a few periods at most.
            for wrap in -1...3 {
                var lower = timing.cumulativeProbability(Double(wrap) * period - start)
                for bin in 0..<Self.binCount {
                    let upper = timing.cumulativeProbability(Double(wrap) * period + Double(bin + 1) * binWidth - start)
                    expected[bin] += pathClicks[path] * (upper - lower)
                    lower = upper
                }
            }
        }
        expectedPerPulse = expected
    }

    /// A histogram of `pulses` pulses: each bin a Poisson count of its expectation.
    public func draw(pulses: UInt64, using generator: inout SeededGenerator) -> [UInt64] {
        expectedPerPulse.map { generator.nextPoisson(mean: $0 * Double(pulses)) }
    }
}
