import QKDCore

/// The change of the fibre's propagation delay with its temperature, which moves the photons'
/// arrival at Bob.
///
/// A standard single-mode fibre's transit time grows by about 7 ppm per kelvin (thermo-optic
/// change of the group index plus expansion: 6.7 ppm/K measured on a cabled fibre by Bergman,
/// Eng and Johnston, Electron. Lett. 19, 865 (1983)); with a group delay of 4.9 µs/km that is
/// about 34 ps per km and kelvin (the figure of about 40 ps/km/K quoted against hollow-core
/// fibre, Slavík et al., Sci. Rep. 5, 15447 (2015)), so 120 km moves by 4.1 ns per kelvin, more
/// than a time-bin separation. The temperature is an Ornstein-Uhlenbeck process around the
/// calibration: `temperatureDeviation` = 0.5 K rms with a correlation time of 3 h, a spool in an
/// air-conditioned laboratory or a buried cable (an aerial cable swings by tens of kelvin a day).
/// The delay change is then about 2 ns rms, slow next to the synchronisation loop.
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

    /// Fibre length (km).
    public let lengthKm: Double
    private var temperature: SlowWander

    /// Creates the drift of a fibre of `lengthKm`, its temperature drawn from its stationary
    /// distribution with its own stream of `seed`.
    public init(lengthKm: Double, seed: UInt64) throws {
        guard lengthKm >= 0, lengthKm.isFinite else {
            throw QKDError(.invalidParameter, "fibre length must be a non-negative number of km, got \(lengthKm)")
        }
        self.lengthKm = lengthKm
        // SlowWander's "relative deviation" is here kelvin: the process is the same.
        temperature = try SlowWander(
            relativeDeviation: Self.temperatureDeviation, correlationSeconds: Self.temperatureCorrelationSeconds,
            seed: seed, name: "fibre-temperature")
    }

    /// Temperature relative to the calibration (K).
    public var temperatureChange: Double { temperature.deviation }

    /// Delay relative to the calibration (s).
    public var delayChange: Double { Self.delayPerKmKelvin * lengthKm * temperature.deviation }

    /// Advances the temperature by `seconds`.
    public mutating func advance(seconds: Double) {
        temperature.advance(seconds: seconds)
    }
}
