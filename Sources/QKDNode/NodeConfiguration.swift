import Foundation
import Photonics
import QKDCore
import Security

/// Everything a run needs: the optical link and the post-processing, loaded from a preset or
/// configuration file (see `ConfigurationDocument` for the format).
public struct NodeConfiguration: Sendable, Equatable {
    /// The preset or file name it came from.
    public var name: String
    /// The optical link.
    public var link: LinkConfiguration
    /// The post-processing.
    public var postProcessing: PostProcessingConfiguration

    /// Creates a configuration.
    public init(name: String, link: LinkConfiguration, postProcessing: PostProcessingConfiguration) {
        self.name = name
        self.link = link
        self.postProcessing = postProcessing
    }

    /// The protocol description the quantum-dot security analysis needs, from the link's
    /// parameters; an error for a laser source or the BB84 alphabet, which that analysis does
    /// not cover. The mean photon number is the dot's bright-state value, so the multi-photon
    /// bound `g2(0) μ² / 2` also covers a blinking dot.
    public var protocolDescription: ThreeStateProtocol {
        get throws {
            guard case .quantumDot(let source) = link.source else {
                throw QKDError(.invalidParameter, "\(name): the three-state single-photon analysis needs a quantum-dot source, not a laser")
            }
            guard link.encoder.alphabet == .threeState else {
                throw QKDError(.invalidParameter, "\(name): no security analysis for the BB84 alphabet yet (only the three-state protocol)")
            }
            return try ThreeStateProtocol(
                zBasisProbability: link.encoder.zBasisProbability, bobBasisRatio: 1,
                meanPhotonNumber: source.meanPhotonNumber, g2: source.g2)
        }
    }

    /// The same configuration with the fibre length replaced.
    public func withDistance(_ kilometres: Double) throws -> NodeConfiguration {
        var copy = self
        copy.link = try LinkConfiguration(
            source: link.source, encoder: link.encoder,
            fiber: Fiber(lengthKm: kilometres, attenuationDbPerKm: link.fiber.attenuationDbPerKm, extraLossDb: link.fiber.extraLossDb),
            decoder: link.decoder, detector: link.detector, tagger: link.tagger)
        return copy
    }
}
