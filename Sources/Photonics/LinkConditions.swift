import QKDCore

/// The slowly varying state of a link's devices at one moment, relative to its calibrated
/// configuration: what the drift processes and injected faults change and the node's
/// controllers correct. `LinkEmulator.setConditions(_:)` applies it to the pulses emulated next.
///
/// The neutral value (`LinkConditions()`) leaves the configuration as calibrated.
public struct LinkConditions: Sendable, Equatable {
    /// Phase offset of Bob's interferometer relative to Alice's (rad): drift minus the phase
    /// shifter's correction.
    public var decoderPhaseOffset = 0.0
    /// Factor on the photons reaching the fibre (source brightness and coupling wander); losses
    /// apply to the emitted state, so the source's photon statistics, on which the security
    /// analysis relies, stay as calibrated.
    public var sourceTransmittanceFactor = 1.0
    /// Factor on the channel's transmittance (0 while the fibre is cut).
    public var channelTransmittanceFactor = 1.0
    /// Factor on both detectors' efficiency.
    public var detectorEfficiencyFactor = 1.0
    /// Factor on both detectors' dark-count rate.
    public var darkCountRateFactor = 1.0
    /// Extra background clicks per detector (Hz): stray light, or a latched detector's
    /// relaxation oscillations.
    public var backgroundRate = 0.0
    /// Delay of the photons' arrival relative to Bob's gate windows (s): clock drift and the
    /// fibre's thermal delay, minus the synchronisation controller's correction.
    public var arrivalTimeOffset = 0.0
    /// White timing jitter of Bob's clock against Alice's (s, rms), added in quadrature to the
    /// detectors' jitter.
    public var clockJitter = 0.0
    /// A detector that has latched and gives no click (nil: both work).
    public var latchedDetector: Int?
    /// Width of Bob's gate windows (s) as his gate-width controller sets it; nil keeps the
    /// calibrated width.
    public var gateWidth: Double?

    /// The neutral conditions.
    public init() {}

    /// `configuration` under these conditions (a latched detector is not part of it: the
    /// emulator and the analytic model take `latchedDetector` themselves).
    public func applied(to configuration: LinkConfiguration) -> LinkConfiguration {
        var link = configuration
        link.decoder.phaseOffset = configuration.decoder.phaseOffset + decoderPhaseOffset
        let transmittance = max(sourceTransmittanceFactor * channelTransmittanceFactor, 1e-30)
        link.fiber.extraLossDb = configuration.fiber.extraLossDb + QKDMath.lossDecibels(transmittance: transmittance)
        link.detector.efficiency = min(1, max(1e-12, configuration.detector.efficiency * detectorEfficiencyFactor))
        link.detector.darkCountRate = max(0, configuration.detector.darkCountRate * darkCountRateFactor + backgroundRate)
        link.tagger.gateOffset = configuration.tagger.gateOffset - arrivalTimeOffset
        if let gateWidth { link.tagger.gateWidth = gateWidth }
        if clockJitter > 0 {
            let jitter = configuration.detector.timingJitter
            link.detector.timingJitter = (jitter * jitter + clockJitter * clockJitter).squareRoot()
        }
        return link
    }
}
