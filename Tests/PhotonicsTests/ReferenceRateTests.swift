import Photonics
import QKDCore
import Security
import Testing

/// The reference link's expected finite-key rate, from the analytic model and the security
/// analysis, against the published 15 bit/s (acceptance: within a factor 1.5). Leakage is that
/// of Cascade at the efficiency we measure on these blocks (f = 1.06) plus the 122-bit tag.
@Test func referenceLinkRateIsThePublishedOne() throws {
    let configuration = try referenceLink()
    let model = AnalyticLinkModel(configuration: configuration)
    let blockBits = 800_000.0
    let pulses = blockBits / model.siftedZProbability
    let counts = try ThreeStateCounts(pulses: UInt64(pulses), counts: [PreparedState.early, .late, .plus].map { state in
        LinkOutcome.allCases.map { UInt64((pulses * model.probability(state, $0)).rounded()) }
    })
    let leakage = Int(1.06 * Double(counts.siftedZ) * QKDMath.binaryEntropy(model.qberZ)) + 122
    let analysis = ThreeStateFiniteKeyAnalysis(
        protocolDescription: try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085),
        security: try SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9))
    let bound = try analysis.secretKey(counts: counts, leakage: leakage)
    let rate = Double(bound.secretBits) / (pulses / configuration.source.repetitionRate)
    #expect(rate > 15 / 1.5 && rate < 15 * 1.5, "rate \(rate) bit/s")
    #expect(abs(Double(bound.secretBits) / pulses - 2e-7) < 1e-7, "bit per pulse")
}
