import QKDCore

/// The thermal drift of the phase between Alice's and Bob's unbalanced interferometers: a
/// seeded random walk (Wiener process) of the decoder's phase offset.
///
/// Why a random walk, and how large: the phase of an unbalanced interferometer is
/// `φ = 2π c τ / λ` across its delay line (τ the time-bin separation): for τ = 3.5 ns at
/// 1560.6 nm about 4.2e6 rad. Silica fibre's thermal phase sensitivity `(1/φ) dφ/dT` is about
/// 7e-6 /K (thermo-optic coefficient plus expansion; Hocker, Appl. Opt. 18, 1445 (1979)), so the
/// delay-line phase moves by about 30 rad per kelvin. An interferometer in a passively insulated
/// box follows the laboratory temperature with a wander of the order of 1 mK per √s over minutes,
/// which gives a phase diffusion of `σ ≈ 30 rad/K × 0.7-1 mK/√s ≈ 0.02-0.03 rad/√s`: about half a
/// radian in ten minutes and more than a radian in an hour, the order of magnitude reported for
/// unstabilised fibre interferometers and the reason the reference experiment stabilises its
/// decoder actively. The default `defaultDiffusion` is 0.02 rad/√s. Neglected: the deterministic
/// part of the temperature (daily cycles, a trend), which a phase lock removes just as well.
public struct InterferometerPhaseDrift: Sendable {
    /// The default phase diffusion (rad/√s); see the type's comment for its derivation.
    public static let defaultDiffusion = 0.02
    /// Standard deviation of the phase change over one second (rad/√s).
    public let diffusion: Double
    /// The current phase offset (rad), unwrapped.
    public private(set) var phase: Double
    private var generator: SeededGenerator

    /// Creates a drift starting at `initialPhase`, with its own stream of `seed`.
    public init(diffusion: Double = InterferometerPhaseDrift.defaultDiffusion, initialPhase: Double = 0, seed: UInt64) throws {
        guard diffusion >= 0, diffusion.isFinite else {
            throw QKDError(.invalidParameter, "phase diffusion must be a non-negative number of rad/√s, got \(diffusion)")
        }
        self.diffusion = diffusion
        self.phase = initialPhase
        generator = SeededGenerator(seed: seed, stream: "interferometer-phase-drift")
    }

    /// Advances the walk by `seconds` and returns the new phase: a Gaussian step of standard
    /// deviation `diffusion √seconds`.
    public mutating func advance(seconds: Double) -> Double {
        phase += diffusion * seconds.squareRoot() * generator.nextStandardNormal()
        return phase
    }
}
