import Foundation
import QKDCore

/// A seeded Ornstein-Uhlenbeck process: a quantity that wanders around its calibrated value
/// with a stationary relative standard deviation and a correlation time, the usual model of a
/// device parameter held by a slow, imperfect regulation (a temperature loop, a bias current, an
/// alignment) — unlike the interferometer phase, which nothing pulls back.
///
/// Its value is a factor on the calibrated parameter, `1 + x` with `x` the process; the exact
/// discrete update over `Δt` is `x ← x e^{-Δt/τ} + σ √(1 - e^{-2Δt/τ}) ξ`, ξ standard normal,
/// so the step length changes nothing but the sampling.
public struct SlowWander: Sendable {
    /// Stationary standard deviation of the relative deviation.
    public let relativeDeviation: Double
    /// Correlation time (s).
    public let correlationSeconds: Double
    /// The current relative deviation x.
    public private(set) var deviation: Double
    private var generator: SeededGenerator

    /// Creates a process of its own stream `name` of `seed`, starting from a draw of its
    /// stationary distribution.
    public init(relativeDeviation: Double, correlationSeconds: Double, seed: UInt64, name: String) throws {
        guard relativeDeviation >= 0, relativeDeviation < 1, correlationSeconds > 0, correlationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "\(name): wander needs a relative deviation in [0, 1) and a positive correlation time, got \(relativeDeviation) and \(correlationSeconds) s")
        }
        self.relativeDeviation = relativeDeviation
        self.correlationSeconds = correlationSeconds
        generator = SeededGenerator(seed: seed, stream: name)
        deviation = 0
        deviation = relativeDeviation * generator.nextStandardNormal()
    }

    /// The factor on the calibrated parameter, `1 + x`, kept non-negative.
    public var factor: Double { max(0, 1 + deviation) }

    /// Advances the process by `seconds`.
    public mutating func advance(seconds: Double) {
        let decay = exp(-seconds / correlationSeconds)
        deviation = deviation * decay + relativeDeviation * (1 - decay * decay).squareRoot() * generator.nextStandardNormal()
    }
}
