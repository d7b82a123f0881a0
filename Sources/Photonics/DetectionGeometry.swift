import QKDCore

/// The per-photon click probabilities of a link: for each prepared state, the probability that
/// one photon entering the fibre produces a click in output slot `k` on detector `d`, including
/// loss, the decoder's routing, the timing tail into neighbouring windows and gating.
///
/// Both the emulator and the analytic model are built on these numbers, so they describe the
/// same physics; they differ only in that the emulator samples individual events.
public struct DetectionGeometry: Sendable, Equatable {
    /// `clickProbability[state][slot * 2 + detector]` for one photon.
    public let clickProbability: [[Double]]
    /// Dark-count probability per window and detector.
    public let darkCountProbability: Double

    /// Computes the geometry of a link.
    public init(configuration: LinkConfiguration) {
        let timing = PhotonTimingModel(
            lifetime: configuration.source.radiativeLifetime, jitter: configuration.detector.timingJitter)
        let separation = configuration.encoder.timeBinSeparation
        let tagger = configuration.tagger
        let transmittance = configuration.photonTransmittance
        var table: [[Double]] = []
        for state in PreparedState.allCases {
            var row = [Double](repeating: 0, count: 6)
            for path in 0..<3 {
                for detector in 0..<2 {
                    let routed = configuration.decoder.routingProbability(state: state, slot: path, detector: detector)
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
        clickProbability = table
        darkCountProbability = configuration.darkCountProbabilityPerWindow
    }

    /// Probability that one photon in `state` clicks anywhere.
    public func totalClickProbability(_ state: PreparedState) -> Double {
        clickProbability[Int(state.rawValue)].reduce(0, +)
    }
}
