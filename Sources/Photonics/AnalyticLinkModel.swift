import QKDCore

/// Expected per-pulse probabilities of every (intensity, prepared state, Bob's result): the
/// analytic counterpart of `LinkEmulator`, built on the same `DetectionGeometry`.
///
/// Each window-detector pair clicks with `c = 1 - (1 - d) Σ_n P(n) (1 - ρ)^n`, where ρ is the
/// per-photon click probability of that pair and d the dark-count probability. For the laser
/// this is `1 - (1 - d) e^{-μ ρ}` and the pairs are exactly independent (Poisson splitting); for
/// the quantum dot, pairs are treated as independent, which is exact for dark counts and for
/// photons up to terms of order ρ² that matter only at short distance, where multi-clicks are
/// frequent. Bob's decision rule is that of `TimeBinMeasurement`.
public struct AnalyticLinkModel: Sendable {
    /// The modelled link.
    public let configuration: LinkConfiguration
    /// `table[intensity][state][outcome]`: P(Alice sends `intensity` and `state`, and Bob's
    /// result is `outcome`) per pulse, states indexed as `PreparedState`, outcomes as
    /// `LinkOutcome`.
    public let table: [[[Double]]]

    /// Computes the model; `silentDetector`, a latched detector, gives no click.
    public init(configuration: LinkConfiguration, silentDetector: Int? = nil) {
        self.configuration = configuration
        let geometry = DetectionGeometry(configuration: configuration)
        let source = configuration.source
        let darkFree = 1 - geometry.darkCountProbability
        table = (0..<source.intensityCount).map { intensity in
            PreparedState.allCases.map { state in
                let prior = configuration.encoder.probability(of: state) * source.intensityProbability(intensity)
                if prior == 0 { return [0, 0, 0, 0] }
                let click = geometry.clickProbability[Int(state.rawValue)].enumerated().map { pair, rho in
                    pair % 2 == silentDetector ? 0 : 1 - darkFree * (1 - source.detectionProbability(perPhotonTransmittance: rho, intensity: intensity))
                }
                return AnalyticLinkModel.outcomeProbabilities(click).map { prior * $0 }
            }
        }
    }

    /// Bob's result probabilities `[zEarly, zLate, xPlus, xMinus]` from the six window-detector
    /// click probabilities, by the rule of `TimeBinMeasurement`.
    static func outcomeProbabilities(_ click: [Double]) -> [Double] {
        func any(_ slot: Int) -> Double { 1 - (1 - click[slot * 2]) * (1 - click[slot * 2 + 1]) }
        let early = any(0), late = any(2)
        let zEarly = early * (1 - late) + early * late / 2
        let zLate = late * (1 - early) + early * late / 2
        let noSide = (1 - early) * (1 - late)
        let plusOnly = click[2] * (1 - click[3]), minusOnly = click[3] * (1 - click[2]), both = click[2] * click[3]
        return [zEarly, zLate, noSide * (plusOnly + both / 2), noSide * (minusOnly + both / 2)]
    }

    /// P(Alice prepares `state` and Bob's result is `outcome`) per pulse, all intensities.
    public func probability(_ state: PreparedState, _ outcome: LinkOutcome) -> Double {
        table.reduce(0) { $0 + $1[Int(state.rawValue)][outcome.rawValue] }
    }

    /// P(Alice sends `intensity` and `state`, and Bob's result is `outcome`) per pulse.
    public func probability(intensity: Int, _ state: PreparedState, _ outcome: LinkOutcome) -> Double {
        table[intensity][Int(state.rawValue)][outcome.rawValue]
    }

    /// Expected Z-basis QBER of the sifted key (Alice Z, Bob Z), all intensities.
    public var qberZ: Double { Self.qberZ(probability(_:_:)) }

    /// Expected X-basis QBER (Alice X, Bob X: |+> read as -, |-> read as +), all intensities.
    public var qberX: Double { Self.qberX(probability(_:_:)) }

    /// Expected Z-basis QBER of the pulses sent at intensity index `intensity`.
    public func qberZ(intensity: Int) -> Double { Self.qberZ { probability(intensity: intensity, $0, $1) } }

    /// Expected X-basis QBER of the pulses sent at intensity index `intensity`.
    public func qberX(intensity: Int) -> Double { Self.qberX { probability(intensity: intensity, $0, $1) } }

    /// Expected probability per pulse of any result.
    public var detectionProbability: Double {
        table.joined().joined().reduce(0, +)
    }

    /// Gain of intensity `intensity`: the probability that a pulse sent at that intensity gives
    /// any result.
    public func gain(intensity: Int) -> Double {
        table[intensity].joined().reduce(0, +) / configuration.source.intensityProbability(intensity)
    }

    /// Expected sifted Z bits per pulse.
    public var siftedZProbability: Double {
        [PreparedState.early, .late].reduce(0) { $0 + probability($1, .zEarly) + probability($1, .zLate) }
    }

    private static func qberZ(_ p: (PreparedState, LinkOutcome) -> Double) -> Double {
        let errors = p(.early, .zLate) + p(.late, .zEarly)
        let total = errors + p(.early, .zEarly) + p(.late, .zLate)
        return total > 0 ? errors / total : 0.5
    }

    private static func qberX(_ p: (PreparedState, LinkOutcome) -> Double) -> Double {
        let errors = p(.plus, .xMinus) + p(.minus, .xPlus)
        let total = p(.plus, .xPlus) + p(.plus, .xMinus) + p(.minus, .xPlus) + p(.minus, .xMinus)
        return total > 0 ? errors / total : 0.5
    }
}

/// Bob's four possible results, as indices.
public enum LinkOutcome: Int, Sendable, CaseIterable {
    /// Z basis, early.
    case zEarly = 0
    /// Z basis, late.
    case zLate = 1
    /// X basis, + (detector 0).
    case xPlus = 2
    /// X basis, - (detector 1).
    case xMinus = 3

    /// The index of Bob's measurement result.
    public init(_ measurement: BobMeasurement) {
        switch measurement {
        case .z(let late): self = late ? .zLate : .zEarly
        case .x(let minus): self = minus ? .xMinus : .xPlus
        }
    }
}
