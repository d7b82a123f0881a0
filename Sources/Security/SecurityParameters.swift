import QKDCore

/// The composable security targets of a block (Ben-Or et al., TCC 2005; Müller-Quade and Renner,
/// NJP 11, 085006 (2009)).
///
/// The delivered key pair is `epsilonCorrectness`-correct (Alice's and Bob's keys differ with
/// probability at most this) and `epsilonSecrecy`-secret (its trace distance from a perfect key
/// independent of Eve, weighted by the probability of not aborting, is at most this), hence
/// `(epsilonCorrectness + epsilonSecrecy)`-secure.
public struct SecurityParameters: Sendable, Equatable, Codable {
    /// Correctness: bounded by the collision probability of the verification hash.
    public var epsilonCorrectness: Double
    /// Secrecy: split as `2 ε_smooth + ε_PA` with `ε_smooth = ε_PA = epsilonSecrecy / 3`.
    public var epsilonSecrecy: Double

    /// Creates parameters; both epsilons must lie in (0, 1).
    public init(epsilonCorrectness: Double, epsilonSecrecy: Double) throws {
        guard epsilonCorrectness > 0, epsilonCorrectness < 1 else {
            throw QKDError(.invalidParameter, "epsilon correctness must be in (0, 1), got \(epsilonCorrectness)")
        }
        guard epsilonSecrecy > 0, epsilonSecrecy < 1 else {
            throw QKDError(.invalidParameter, "epsilon secrecy must be in (0, 1), got \(epsilonSecrecy)")
        }
        self.epsilonCorrectness = epsilonCorrectness
        self.epsilonSecrecy = epsilonSecrecy
    }

    /// The smoothing parameter of the min-entropy, `ε_sec / 3`.
    public var epsilonSmoothing: Double { epsilonSecrecy / 3 }

    /// The privacy-amplification (leftover hash) term, `ε_sec / 3`.
    public var epsilonPrivacyAmplification: Double { epsilonSecrecy / 3 }

    /// Total failure probability allowed to parameter estimation: `ε_smooth²`, because a bound
    /// that fails with probability ε² gives a smooth min-entropy bound with smoothing ε in the
    /// purified distance (Tomamichel et al., Nat. Commun. 3, 634 (2012), Methods).
    public var epsilonEstimation: Double { epsilonSmoothing * epsilonSmoothing }

    /// Total security: `ε_cor + ε_sec`.
    public var epsilonSecurity: Double { epsilonCorrectness + epsilonSecrecy }
}
