import QKDCore

/// A span of standard single-mode fibre.
public struct Fiber: Sendable, Equatable {
    /// Length (km).
    public var lengthKm: Double
    /// Attenuation (dB/km).
    public var attenuationDbPerKm: Double
    /// Extra losses along the span: connectors, splices (dB).
    public var extraLossDb: Double

    /// Creates a fibre span, validating every parameter.
    public init(lengthKm: Double, attenuationDbPerKm: Double, extraLossDb: Double = 0) throws {
        guard lengthKm >= 0, lengthKm.isFinite else {
            throw QKDError(.invalidParameter, "fibre length must be a non-negative number of km, got \(lengthKm)")
        }
        guard attenuationDbPerKm >= 0 else {
            throw QKDError(.invalidParameter, "fibre attenuation must be non-negative, got \(attenuationDbPerKm) dB/km")
        }
        guard extraLossDb >= 0 else {
            throw QKDError(.invalidParameter, "fibre extra loss must be non-negative, got \(extraLossDb) dB")
        }
        self.lengthKm = lengthKm
        self.attenuationDbPerKm = attenuationDbPerKm
        self.extraLossDb = extraLossDb
    }

    /// Total channel loss (dB).
    public var lossDb: Double { lengthKm * attenuationDbPerKm + extraLossDb }

    /// Channel transmittance.
    public var transmittance: Double { QKDMath.transmittance(lossDecibels: lossDb) }
}
