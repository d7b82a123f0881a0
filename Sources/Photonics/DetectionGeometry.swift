import QKDCore

/// The per-photon click probabilities of a link: for each prepared state, the probability that
/// one photon entering the fibre produces a click in output slot `k` on detector `d`, including
/// loss, the encoder's preparation error, the decoder's routing, the timing tail into
/// neighbouring windows, gating and the detectors' dead time.
///
/// Both the emulator and the analytic model are built on these numbers, so they describe the
/// same physics; they differ only in that the emulator samples individual events.
public struct DetectionGeometry: Sendable, Equatable {
    /// `clickProbability[state][slot * 2 + detector]` for one photon.
    public let clickProbability: [[Double]]
    /// Probability of a dark count or afterpulse in one gate window of one detector.
    public let darkCountProbability: Double
    /// The detectors' dead-time and afterpulse corrections.
    public let saturation: DetectorSaturation

    /// Computes the geometry of a link.
    public init(configuration: LinkConfiguration) {
        let timing = configuration.source.timingModel(detectorJitter: configuration.detector.timingJitter)
        let separation = configuration.encoder.timeBinSeparation
        let tagger = configuration.tagger
        let transmittance = configuration.photonTransmittance
        var table: [[Double]] = []
        for state in PreparedState.allCases {
            let photon = configuration.encoder.photonState(state)
            var row = [Double](repeating: 0, count: 6)
            for path in 0..<3 {
                for detector in 0..<2 {
                    let routed = configuration.decoder.routingProbability(photon: photon, slot: path, detector: detector)
                    if routed == 0 { continue }
                    for window in 0..<3 {
                        let start = Double(window - path) * separation + tagger.gateOffset
                        let gated = timing.probability(from: start, to: start + tagger.gateWidth)
                        row[window * 2 + detector] += transmittance * routed * gated
                    }
                }
            }
            table.append(row)
        }
        let saturation = DetectorSaturation(configuration: configuration, unsaturatedClickProbability: table)
        self.saturation = saturation
        clickProbability = saturation.registeredFraction == 1 ? table : table.map { $0.map { $0 * saturation.registeredFraction } }
        darkCountProbability = configuration.darkCountProbabilityPerWindow * saturation.registeredFraction
            + saturation.afterpulseRate * tagger.gateWidth * saturation.registeredFraction
    }

    /// Probability that one photon in `state` clicks anywhere.
    public func totalClickProbability(_ state: PreparedState) -> Double {
        clickProbability[Int(state.rawValue)].reduce(0, +)
    }
}
