import QKDCore

/// Expected per-pulse probabilities of every (prepared state, Bob's result) pair: the analytic
/// counterpart of `LinkEmulator`, built on the same `DetectionGeometry`.
///
/// Each window-detector pair clicks with `c = 1 - (1 - d) Σ_n P(n) (1 - ρ)^n`, where ρ is the
/// per-photon click probability of that pair and d the dark-count probability; pairs are treated
/// as independent (exact for dark counts, and for photons up to terms of order ρ², which matter
/// only at short distance where multi-clicks are frequent). Bob's decision rule is that of
/// `TimeBinMeasurement`.
public struct AnalyticLinkModel: Sendable {
    /// The modelled link.
    public let configuration: LinkConfiguration
    /// `probability[state][outcome]`: P(Alice prepares `state` and Bob's result is `outcome`)
    /// per pulse, outcomes indexed as `LinkOutcome`.
    public let probability: [[Double]]

    /// Computes the model.
    public init(configuration: LinkConfiguration) {
        self.configuration = configuration
        let geometry = DetectionGeometry(configuration: configuration)
        let source = configuration.source
        let darkFree = 1 - geometry.darkCountProbability
        probability = PreparedState.allCases.map { state in
            let click = geometry.clickProbability[Int(state.rawValue)].map { rho in
                1 - darkFree * (1 - source.detectionProbability(perPhotonTransmittance: rho))
            }
            func any(_ slot: Int) -> Double { 1 - (1 - click[slot * 2]) * (1 - click[slot * 2 + 1]) }
            let early = any(0), late = any(2)
            let zEarly = early * (1 - late) + early * late / 2
            let zLate = late * (1 - early) + early * late / 2
            let noSide = (1 - early) * (1 - late)
            let plusOnly = click[2] * (1 - click[3]), minusOnly = click[3] * (1 - click[2]), both = click[2] * click[3]
            let xPlus = noSide * (plusOnly + both / 2)
            let xMinus = noSide * (minusOnly + both / 2)
            let prior = configuration.encoder.probability(of: state)
            return [zEarly, zLate, xPlus, xMinus].map { prior * $0 }
        }
    }

    /// P(Alice prepares `state` and Bob's result is `outcome`) per pulse.
    public func probability(_ state: PreparedState, _ outcome: LinkOutcome) -> Double {
        probability[Int(state.rawValue)][outcome.rawValue]
    }

    /// Expected Z-basis QBER of the sifted key (Alice Z, Bob Z).
    public var qberZ: Double {
        let errors = probability(.early, .zLate) + probability(.late, .zEarly)
        let total = errors + probability(.early, .zEarly) + probability(.late, .zLate)
        return total > 0 ? errors / total : 0.5
    }

    /// Expected X-basis QBER (Alice |+>, Bob X).
    public var qberX: Double {
        let total = probability(.plus, .xPlus) + probability(.plus, .xMinus)
        return total > 0 ? probability(.plus, .xMinus) / total : 0.5
    }

    /// Expected probability per pulse of any result.
    public var detectionProbability: Double {
        probability.joined().reduce(0, +)
    }

    /// Expected sifted Z bits per pulse.
    public var siftedZProbability: Double {
        [PreparedState.early, .late].reduce(0) { $0 + probability($1, .zEarly) + probability($1, .zLate) }
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
