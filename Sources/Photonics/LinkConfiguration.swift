import QKDCore

/// Every device of one time-bin QKD link, from source to time tagger.
public struct LinkConfiguration: Sendable, Equatable {
    /// Alice's light source.
    public var source: PhotonSource
    /// Alice's encoder.
    public var encoder: TimeBinEncoder
    /// The quantum channel.
    public var fiber: Fiber
    /// Bob's interferometric decoder.
    public var decoder: TimeBinDecoder
    /// Both of Bob's detectors (identical).
    public var detector: SinglePhotonDetector
    /// Bob's time tagger.
    public var tagger: TimeTagger

    /// Creates a configuration; the tagger's windows must not overlap.
    public init(
        source: PhotonSource, encoder: TimeBinEncoder, fiber: Fiber,
        decoder: TimeBinDecoder, detector: SinglePhotonDetector, tagger: TimeTagger
    ) throws {
        guard tagger.gateWidth <= encoder.timeBinSeparation else {
            throw QKDError(.invalidParameter, "tagger gate width \(tagger.gateWidth) s exceeds the time-bin separation \(encoder.timeBinSeparation) s: windows would overlap")
        }
        guard 3 * encoder.timeBinSeparation < 1 / source.repetitionRate else {
            throw QKDError(.invalidParameter, "three time-bin slots of \(encoder.timeBinSeparation) s do not fit in one pulse period of \(1 / source.repetitionRate) s")
        }
        self.source = source
        self.encoder = encoder
        self.fiber = fiber
        self.decoder = decoder
        self.detector = detector
        self.tagger = tagger
    }

    /// Per-photon transmittance from the fibre input to a click, excluding the decoder's
    /// intrinsic splitting and the gating: fibre × decoder insertion loss × detector efficiency.
    public var photonTransmittance: Double {
        fiber.transmittance * decoder.transmittance * detector.efficiency
    }

    /// Probability of a dark count in one gate window of one detector.
    public var darkCountProbabilityPerWindow: Double {
        detector.darkCountRate * tagger.gateWidth
    }

    /// Total loss between Alice and Bob's detectors (dB): the channel loss that the repeaterless
    /// bound refers to is `fiber.lossDb`.
    public var totalLossDb: Double {
        QKDMath.lossDecibels(transmittance: photonTransmittance)
    }
}
