import Foundation
import QKDCore

/// The change of the fibre's propagation delay with its temperature, which moves the photons'
/// arrival at Bob.
///
/// A standard single-mode fibre's transit time grows by about 7 ppm per kelvin (thermo-optic
/// change of the group index plus expansion: 6.7 ppm/K measured on a cabled fibre by Bergman,
/// Eng and Johnston, Electron. Lett. 19, 865 (1983)); with a group delay of 4.9 µs/km that is
/// about 34 ps per km and kelvin (the figure of about 40 ps/km/K quoted against hollow-core
/// fibre, Slavík et al., Sci. Rep. 5, 15447 (2015)), so 120 km moves by 4.1 ns per kelvin, more
/// than a time-bin separation. The surroundings' temperature is an Ornstein-Uhlenbeck process
/// around the calibration, `temperatureDeviation` = 0.5 K rms with a correlation time of 3 h (an
/// air-conditioned laboratory or the ground around a buried cable; an aerial cable swings by
/// tens of kelvin a day), and the fibre follows it through its thermal mass, a first-order lag
/// of `thermalLagSeconds` = 1 h (a wound spool or a cable duct): the fibre's temperature is
/// smooth, changing by well under a millikelvin per second. The delay change is then about 2 ns
/// rms and moves by at most a few ps per second, slow next to the synchronisation loop.
public struct FibreDelayDrift: Sendable {
    /// Relative change of the transit time per kelvin.
    public static let relativeDelayPerKelvin = 7e-6
    /// Group delay of standard fibre at 1550 nm (s/km): group index 1.468.
    public static let groupDelayPerKm = 1.468 / 299_792.458
    /// Delay change per km and kelvin (s/km/K), about 34 ps/km/K.
    public static var delayPerKmKelvin: Double { relativeDelayPerKelvin * groupDelayPerKm }
    /// Stationary temperature deviation (K, rms).
    public static let temperatureDeviation = 0.5
    /// Correlation time of the temperature (s).
    public static let temperatureCorrelationSeconds = 3 * 3600.0
    /// Time constant with which the fibre follows its surroundings' temperature (s).
    public static let thermalLagSeconds = 3600.0

    /// Fibre length (km).
    public let lengthKm: Double
    private var surroundings: SlowWander
    /// The fibre's temperature relative to the calibration (K).
    public private(set) var temperatureChange: Double

    /// Creates the drift of a fibre of `lengthKm`, its temperature drawn from its stationary
    /// distribution with its own stream of `seed`.
    public init(lengthKm: Double, seed: UInt64) throws {
        guard lengthKm >= 0, lengthKm.isFinite else {
            throw QKDError(.invalidParameter, "fibre length must be a non-negative number of km, got \(lengthKm)")
        }
        self.lengthKm = lengthKm
        // SlowWander's "relative deviation" is here kelvin: the process is the same.
        surroundings = try SlowWander(
            relativeDeviation: Self.temperatureDeviation, correlationSeconds: Self.temperatureCorrelationSeconds,
            seed: seed, name: "fibre-temperature")
        temperatureChange = surroundings.deviation
    }

    /// Delay relative to the calibration (s).
    public var delayChange: Double { Self.delayPerKmKelvin * lengthKm * temperatureChange }

    /// Advances the temperatures by `seconds` (in steps short next to the lag, as `qkd run`'s
    /// one-second updates are).
    public mutating func advance(seconds: Double) {
        surroundings.advance(seconds: seconds)
        temperatureChange += (surroundings.deviation - temperatureChange) * -expm1(-seconds / Self.thermalLagSeconds)
    }
}
