import QKDCore

/// Alice's light source: the quantum-dot single-photon source of the reference experiment, or
/// the attenuated laser with decoy intensities that most deployed systems use. Both feed the
/// same encoder, fibre and decoder, so the same link can be run with either.
public enum PhotonSource: Sendable, Equatable {
    /// A triggered quantum-dot single-photon source (one intensity).
    case quantumDot(QuantumDotSource)
    /// A weak-coherent-pulse laser with decoy intensities.
    case weakCoherent(WeakCoherentSource)

    /// Pulses per second (Hz).
    public var repetitionRate: Double {
        switch self {
        case .quantumDot(let source): return source.repetitionRate
        case .weakCoherent(let source): return source.repetitionRate
        }
    }

    /// Second-order autocorrelation at zero delay: the quantum dot's measured value, 1 for the
    /// Poissonian light of a laser.
    public var g2: Double {
        switch self {
        case .quantumDot(let source): return source.g2
        case .weakCoherent: return 1
        }
    }

    /// Time constant of the exponential emission profile (s): the dot's radiative lifetime,
    /// 0 for a laser (its pulse shape is Gaussian, see `timingModel(detectorJitter:)`).
    public var radiativeLifetime: Double {
        switch self {
        case .quantumDot(let source): return source.radiativeLifetime
        case .weakCoherent: return 0
        }
    }

    /// Number of intensities Alice chooses from (1 for the quantum dot).
    public var intensityCount: Int {
        switch self {
        case .quantumDot: return 1
        case .weakCoherent(let source): return source.intensities.count
        }
    }

    /// Probability that a pulse is sent with intensity index `intensity`.
    public func intensityProbability(_ intensity: Int) -> Double {
        switch self {
        case .quantumDot: return 1
        case .weakCoherent(let source): return source.intensityProbabilities[intensity]
        }
    }

    /// Mean photon number entering the fibre at intensity index `intensity`.
    public func meanPhotonNumber(intensity: Int) -> Double {
        switch self {
        case .quantumDot(let source): return source.brightFraction * source.meanPhotonNumber
        case .weakCoherent(let source): return source.intensities[intensity]
        }
    }

    /// Probability that at least one photon of a pulse of intensity `intensity` survives a
    /// channel of per-photon transmittance `transmittance`.
    public func detectionProbability(perPhotonTransmittance transmittance: Double, intensity: Int) -> Double {
        switch self {
        case .quantumDot(let source): return source.detectionProbability(perPhotonTransmittance: transmittance)
        case .weakCoherent(let source): return source.detectionProbability(perPhotonTransmittance: transmittance, intensity: intensity)
        }
    }

    /// Draws how many photons survive a channel of per-photon transmittance `transmittance`,
    /// conditioned on at least one.
    public func drawSurvivingPhotons(perPhotonTransmittance transmittance: Double, intensity: Int, using generator: inout SeededGenerator) -> Int {
        switch self {
        case .quantumDot(let source):
            return source.drawSurvivingPhotons(perPhotonTransmittance: transmittance, using: &generator)
        case .weakCoherent(let source):
            return source.drawSurvivingPhotons(perPhotonTransmittance: transmittance, intensity: intensity, using: &generator)
        }
    }

    /// Draws the intensity index of the next pulse (always 0 for the quantum dot, without a draw).
    public func drawIntensity(using generator: inout SeededGenerator) -> Int {
        guard case .weakCoherent(let source) = self else { return 0 }
        var u = generator.nextUnitInterval()
        for (index, probability) in source.intensityProbabilities.enumerated() {
            if u < probability { return index }
            u -= probability
        }
        return source.intensities.count - 1
    }

    /// The arrival-time model of a detected photon: the dot's exponential emission convolved
    /// with the detector jitter, or the laser's Gaussian pulse and the jitter in quadrature.
    public func timingModel(detectorJitter: Double) -> PhotonTimingModel {
        switch self {
        case .quantumDot(let source):
            return PhotonTimingModel(lifetime: source.radiativeLifetime, jitter: detectorJitter)
        case .weakCoherent(let source):
            let width = (detectorJitter * detectorJitter + source.pulseDuration * source.pulseDuration).squareRoot()
            return PhotonTimingModel(lifetime: 0, jitter: width)
        }
    }
}
