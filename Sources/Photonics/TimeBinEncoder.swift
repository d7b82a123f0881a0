import QKDCore

/// The states Alice prepares: the three of the three-state ("simplified BB84") protocol, plus
/// |-> for the four-state BB84 alphabet.
public enum PreparedState: UInt8, Sendable, CaseIterable {
    /// Z basis, photon in the early bin (bit 0).
    case early = 0
    /// Z basis, photon in the late bin (bit 1).
    case late = 1
    /// X basis, equal superposition of early and late with zero relative phase.
    case plus = 2
    /// X basis, equal superposition of early and late with relative phase π (BB84 only).
    case minus = 3

    /// True for the two Z-basis states.
    public var isZBasis: Bool { self == .early || self == .late }
}

/// Which set of states Alice's encoder prepares.
public enum EncodingAlphabet: String, Sendable, CaseIterable {
    /// |early>, |late> and |+> (Boaron et al., PRL 121, 190502 (2018)).
    case threeState = "three-state"
    /// |early>, |late>, |+> and |-> (Bennett and Brassard 1984).
    case bb84 = "bb84"
}

/// The time-bin state of one photon leaving the encoder, as a density matrix in the
/// {early, late} basis with a real off-diagonal element (the relative phase is folded into its
/// sign; the decoder's phase offset is applied separately).
public struct TimeBinPhotonState: Sendable, Equatable {
    /// Probability of the early bin.
    public var earlyPopulation: Double
    /// Probability of the late bin.
    public var latePopulation: Double
    /// Off-diagonal element `ρ_el` (1/2 for |+>, -1/2 for |->, 0 for an incoherent mixture).
    public var coherence: Double
}

/// Alice's time-bin encoder: which state goes into each pulse, how far apart the bins are, and
/// how faithfully the states are prepared.
public struct TimeBinEncoder: Sendable, Equatable {
    /// The prepared alphabet.
    public var alphabet: EncodingAlphabet
    /// Probability of preparing a Z-basis state (split evenly between early and late); the
    /// remainder prepares X-basis states (|+>, or |+> and |-> evenly for BB84).
    public var zBasisProbability: Double
    /// Delay between the early and the late time bin (s).
    public var timeBinSeparation: Double
    /// Probability that a photon is prepared in the orthogonal state of the intended basis
    /// (finite extinction of the intensity modulator for Z, phase error for X): a bit flip with
    /// this probability on the preparation, in [0, 1/2).
    public var statePreparationError: Double

    /// Creates an encoder, validating every parameter.
    public init(
        zBasisProbability: Double, timeBinSeparation: Double, alphabet: EncodingAlphabet = .threeState,
        statePreparationError: Double = 0
    ) throws {
        guard zBasisProbability > 0, zBasisProbability < 1 else {
            throw QKDError(.invalidParameter, "encoder Z-basis probability must be in (0, 1), got \(zBasisProbability)")
        }
        guard timeBinSeparation > 0 else {
            throw QKDError(.invalidParameter, "encoder time-bin separation must be positive, got \(timeBinSeparation) s")
        }
        guard statePreparationError >= 0, statePreparationError < 0.5 else {
            throw QKDError(.invalidParameter, "encoder state-preparation error must be in [0, 0.5), got \(statePreparationError)")
        }
        self.alphabet = alphabet
        self.zBasisProbability = zBasisProbability
        self.timeBinSeparation = timeBinSeparation
        self.statePreparationError = statePreparationError
    }

    /// The probability with which Alice prepares `state`.
    public func probability(of state: PreparedState) -> Double {
        switch (state, alphabet) {
        case (.early, _), (.late, _): return zBasisProbability / 2
        case (.plus, .threeState): return 1 - zBasisProbability
        case (.minus, .threeState): return 0
        case (.plus, .bb84), (.minus, .bb84): return (1 - zBasisProbability) / 2
        }
    }

    /// Draws a state with the encoder's probabilities.
    public func drawState(using generator: inout SeededGenerator) -> PreparedState {
        let u = generator.nextUnitInterval()
        if u < zBasisProbability / 2 { return .early }
        if u < zBasisProbability { return .late }
        if alphabet == .bb84, u >= (1 + zBasisProbability) / 2 { return .minus }
        return .plus
    }

    /// The photon state that actually leaves the encoder when Alice intends `state`.
    public func photonState(_ state: PreparedState) -> TimeBinPhotonState {
        let error = statePreparationError
        switch state {
        case .early: return TimeBinPhotonState(earlyPopulation: 1 - error, latePopulation: error, coherence: 0)
        case .late: return TimeBinPhotonState(earlyPopulation: error, latePopulation: 1 - error, coherence: 0)
        case .plus: return TimeBinPhotonState(earlyPopulation: 0.5, latePopulation: 0.5, coherence: (1 - 2 * error) / 2)
        case .minus: return TimeBinPhotonState(earlyPopulation: 0.5, latePopulation: 0.5, coherence: -(1 - 2 * error) / 2)
        }
    }
}
