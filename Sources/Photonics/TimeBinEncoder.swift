import QKDCore

/// The three states Alice prepares in the three-state ("simplified BB84") time-bin protocol.
public enum PreparedState: UInt8, Sendable, CaseIterable {
    /// Z basis, photon in the early bin (bit 0).
    case early = 0
    /// Z basis, photon in the late bin (bit 1).
    case late = 1
    /// X basis, equal superposition of early and late with zero relative phase.
    case plus = 2

    /// True for the two Z-basis states.
    public var isZBasis: Bool { self != .plus }
}

/// Alice's time-bin encoder: which state goes into each pulse, and how far apart the bins are.
public struct TimeBinEncoder: Sendable, Equatable {
    /// Probability of preparing a Z-basis state (split evenly between early and late); the
    /// remainder prepares |+>.
    public var zBasisProbability: Double
    /// Delay between the early and the late time bin (s).
    public var timeBinSeparation: Double

    /// Creates an encoder, validating every parameter.
    public init(zBasisProbability: Double, timeBinSeparation: Double) throws {
        guard zBasisProbability > 0, zBasisProbability < 1 else {
            throw QKDError(.invalidParameter, "encoder Z-basis probability must be in (0, 1), got \(zBasisProbability)")
        }
        guard timeBinSeparation > 0 else {
            throw QKDError(.invalidParameter, "encoder time-bin separation must be positive, got \(timeBinSeparation) s")
        }
        self.zBasisProbability = zBasisProbability
        self.timeBinSeparation = timeBinSeparation
    }

    /// The probability with which Alice prepares `state`.
    public func probability(of state: PreparedState) -> Double {
        state.isZBasis ? zBasisProbability / 2 : 1 - zBasisProbability
    }

    /// Draws a state with the encoder's probabilities.
    public func drawState(using generator: inout SeededGenerator) -> PreparedState {
        let u = generator.nextUnitInterval()
        if u < zBasisProbability / 2 { return .early }
        if u < zBasisProbability { return .late }
        return .plus
    }
}
