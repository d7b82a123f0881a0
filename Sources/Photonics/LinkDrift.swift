import QKDCore

/// The slow drifts of a link's devices during unattended operation, each a seeded process of
/// its own stream: the interferometer phase (`InterferometerPhaseDrift`), and, as `SlowWander`
/// processes around the calibration, the source's brightness into the fibre, the detectors'
/// efficiency and their dark-count rate; and, with `timingDrift`, the arrival time of the
/// photons on Bob's clock: the two nodes' clocks (`ClockDrift`) and the fibre's thermal delay
/// (`FibreDelayDrift`). Magnitudes and their sources are in docs/physics.md
/// ("Drift during unattended operation").
public struct LinkDrift: Sendable {
    /// Stationary relative deviation and correlation time of the source's brightness into the
    /// fibre (quantum-dot blinking averages out within a pulse train; what remains is the slow
    /// drift of the excitation laser's power and of the dot-to-fibre coupling).
    /// Measured: a fibre-coupled quantum-dot source in a Stirling cryocooler gave single-photon
    /// count rates with a 4 % standard deviation over a 100 h run without intervention
    /// (Schlehahn et al., Sci. Rep. 8, 1340 (2018), arXiv:1703.10536).
    public static let brightnessWander = (relativeDeviation: 0.04, correlationSeconds: 1800.0)
    /// The same for the detectors' system efficiency (bias current and cryostat temperature).
    /// Assumed, no measurement found: an SNSPD biased on its saturated efficiency plateau is
    /// insensitive to the bias current to first order; a percent stands for the cryostat's
    /// temperature and the polarisation reaching the nanowire.
    public static let efficiencyWander = (relativeDeviation: 0.01, correlationSeconds: 3600.0)
    /// The same for the dark-count rate: 5 % rms, following the room's temperature (3 h, as the
    /// surroundings of `FibreDelayDrift`).
    /// The ~100 Hz of a fibre-coupled SNSPD without cold filters is mostly black-body radiation
    /// of the room-temperature fibre guided to the nanowire (cold band-pass filters remove more
    /// than 99 % of it: Shibata et al., arXiv:1307.0893 (2013) and arXiv:1408.0562 (2014); the
    /// guided black-body noise of silica fibre follows Planck's law: Hencz, Baker and Streed,
    /// arXiv:2410.01274 (2024)). Planck's photon number `1/(e^x - 1)`, `x = hc/λkT`, changes by
    /// `x/T` per kelvin: 31/295 K = 10.6 %/K at 1.56 µm and 7.5 %/K at 2.2 µm, where silica
    /// fibre stops transmitting (Kuo, OSA Continuum 1, 1260 (2018)). A laboratory held to
    /// 0.5 K rms (the same figure as `FibreDelayDrift`'s surroundings) thus moves the dark counts
    /// by 4-5 % rms; the intrinsic dark counts (vortex crossings, exponential in bias current and
    /// temperature: Yamashita et al., Appl. Phys. Lett. 99, 161105 (2011)) are typically far
    /// below that at a plateau bias with a regulated current source and cryostat. The 20 %
    /// rms assumed before is not supported by any of these: it would take a room swinging by
    /// 2 K rms. Larger excursions (air conditioning failing) are an injected disturbance:
    /// `InjectedFault.Kind.roomWarming`.
    public static let darkCountWander = (relativeDeviation: 0.05, correlationSeconds: 10800.0)

    /// The interferometer phase, nil when it does not drift.
    public private(set) var phase: InterferometerPhaseDrift?
    /// Brightness wander, nil when off.
    public private(set) var brightness: SlowWander?
    /// Detector-efficiency wander, nil when off.
    public private(set) var efficiency: SlowWander?
    /// Dark-count wander, nil when off.
    public private(set) var darkCounts: SlowWander?
    /// Bob's clock against Alice's, nil when the timing does not drift.
    public private(set) var clock: ClockDrift?
    /// The fibre's thermal delay, nil when the timing does not drift.
    public private(set) var fibreDelay: FibreDelayDrift?

    /// Creates the drifts of one run: the phase with `phaseDiffusion` (nil: none), and the
    /// device wanders at their default magnitudes when `deviceWander` is true, and the clocks
    /// and the delay of a fibre of `fibreLengthKm` when `timingDrift` is true.
    public init(phaseDiffusion: Double?, deviceWander: Bool, timingDrift: Bool = false, fibreLengthKm: Double = 0, seed: UInt64) throws {
        phase = try phaseDiffusion.map { try InterferometerPhaseDrift(diffusion: $0, seed: seed) }
        if timingDrift {
            clock = ClockDrift.typical(seed: seed)
            fibreDelay = try FibreDelayDrift(lengthKm: fibreLengthKm, seed: seed)
        }
        guard deviceWander else { return }
        brightness = try SlowWander(
            relativeDeviation: Self.brightnessWander.relativeDeviation, correlationSeconds: Self.brightnessWander.correlationSeconds,
            seed: seed, name: "brightness-wander")
        efficiency = try SlowWander(
            relativeDeviation: Self.efficiencyWander.relativeDeviation, correlationSeconds: Self.efficiencyWander.correlationSeconds,
            seed: seed, name: "efficiency-wander")
        darkCounts = try SlowWander(
            relativeDeviation: Self.darkCountWander.relativeDeviation, correlationSeconds: Self.darkCountWander.correlationSeconds,
            seed: seed, name: "dark-count-wander")
    }

    /// The conditions the drifts impose now, before any controller's correction. The source's
    /// brightness only falls below its calibration: the preset's mean photon number is the
    /// largest the source delivers, so the security analysis's multi-photon bound holds
    /// throughout.
    public var conditions: LinkConditions {
        var conditions = LinkConditions()
        conditions.decoderPhaseOffset = phase?.phase ?? 0
        conditions.sourceTransmittanceFactor = min(1, brightness?.factor ?? 1)
        conditions.detectorEfficiencyFactor = efficiency?.factor ?? 1
        conditions.darkCountRateFactor = darkCounts?.factor ?? 1
        conditions.arrivalTimeOffset = arrivalTimeOffset
        conditions.clockJitter = clock?.jitter ?? 0
        return conditions
    }

    /// How late the photons arrive on Bob's clock relative to the calibration (s): the clocks'
    /// offset plus the fibre's delay change, before any synchronisation.
    public var arrivalTimeOffset: Double { (clock?.timeOffset ?? 0) + (fibreDelay?.delayChange ?? 0) }

    /// Advances every drift by `seconds`.
    public mutating func advance(seconds: Double) {
        advanceDevices(seconds: seconds)
        advanceArrivalTime(seconds: seconds)
    }

    /// Advances the phase and the device wanders by `seconds` (`qkd run` does it once per frame).
    public mutating func advanceDevices(seconds: Double) {
        _ = phase?.advance(seconds: seconds)
        brightness?.advance(seconds: seconds)
        efficiency?.advance(seconds: seconds)
        darkCounts?.advance(seconds: seconds)
    }

    /// Advances the clocks and the fibre's delay by `seconds` (`qkd run` does it once per
    /// synchronisation update).
    public mutating func advanceArrivalTime(seconds: Double) {
        clock?.advance(seconds: seconds)
        fibreDelay?.advance(seconds: seconds)
    }
}
