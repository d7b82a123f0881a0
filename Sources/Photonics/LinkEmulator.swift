import QKDCore

/// The event-level Monte Carlo emulator of the time-bin link.
///
/// Its cost follows detections, not pulses: it never visits an empty pulse. It draws candidate
/// slots with geometric gaps at the envelope probability
/// `p_max = max_{s,k} P(click | state s, intensity k)`, draws Alice's state and intensity for
/// each candidate, accepts it with probability `P(click | s, k) / p_max` (thinning, which is
/// exact because Alice's choices are independent of the channel), and then draws what happened
/// conditioned on at least one click: the number of surviving photons (the quantum dot's
/// 1 or 2, or the laser's Poisson number), each photon's path through Bob's interferometer,
/// output port (with the interference visibility in the middle slot) and arrival delay
/// (emission tail plus jitter, which can put it in the wrong time bin or outside every gate),
/// and the dark counts of the six gate windows. The same seed reproduces the same frames bit
/// for bit.
public struct LinkEmulator: Sendable {
    /// The emulated link under the current conditions (see `setConditions(_:)`).
    public private(set) var configuration: LinkConfiguration
    /// The link as calibrated, before any drift.
    public let calibratedConfiguration: LinkConfiguration
    /// The photons' arrival delay behind Bob's gates (ps), added to every emitted time tag.
    private var arrivalShiftPicoseconds: Int64 = 0
    /// The detector that has latched (gives no click), nil when both work.
    private var silentDetector: Int?
    private var geometry: DetectionGeometry
    private var timing: PhotonTimingModel
    /// `clickProbabilityTable[intensity][state]`.
    private var clickProbabilityTable: [[Double]]
    /// `routing[state][path * 2 + detector]`: where a photon leaves the decoder.
    private var routing: [[Double]]
    private var envelopeProbability: Double
    private var aliceGenerator: SeededGenerator
    private var channelGenerator: SeededGenerator
    private var nextSlot: UInt64 = 0

    /// Creates an emulator with a seed.
    public init(configuration: LinkConfiguration, seed: UInt64) {
        self.configuration = configuration
        calibratedConfiguration = configuration
        geometry = DetectionGeometry(configuration: configuration)
        timing = configuration.source.timingModel(detectorJitter: configuration.detector.timingJitter)
        clickProbabilityTable = []
        routing = []
        envelopeProbability = 0
        aliceGenerator = SeededGenerator(seed: seed, stream: "alice")
        channelGenerator = SeededGenerator(seed: seed, stream: "channel")
        deriveTables()
    }

    /// Sets the devices' conditions (drift, faults, controllers' corrections) for the pulses
    /// emulated from now on, relative to the calibrated configuration. It draws no random
    /// number, so a run that keeps the neutral conditions reproduces the frames of a run that
    /// never calls it bit for bit.
    ///
    /// An arrival-time offset moves the photons relative to Bob's gate windows: the gating
    /// probabilities follow from the shifted windows, and every time tag (photon or dark count)
    /// is reported in Bob's frame, so his measurement sees the shift as his tagger would. A
    /// latched detector's clicks are removed after they are drawn (it registers nothing, and the
    /// other detector does not notice).
    public mutating func setConditions(_ conditions: LinkConditions) {
        let shifted = conditions.applied(to: calibratedConfiguration)
        arrivalShiftPicoseconds = Int64((conditions.arrivalTimeOffset * 1e12).rounded())
        silentDetector = conditions.latchedDetector
        guard shifted != configuration else { return }
        configuration = shifted
        geometry = DetectionGeometry(configuration: configuration)
        timing = configuration.source.timingModel(detectorJitter: configuration.detector.timingJitter)
        deriveTables()
    }

    /// Derives the click-probability table, the decoder routing and the thinning envelope from
    /// the configuration and geometry.
    private mutating func deriveTables() {
        let darkFree = LinkEmulator.noDarkCountProbability(geometry.darkCountProbability)
        let source = configuration.source
        let table = (0..<source.intensityCount).map { intensity in
            PreparedState.allCases.map { state in
                let photon = source.detectionProbability(perPhotonTransmittance: geometry.totalClickProbability(state), intensity: intensity)
                return 1 - darkFree * (1 - photon)
            }
        }
        clickProbabilityTable = table
        routing = PreparedState.allCases.map { state in
            let photon = configuration.encoder.photonState(state)
            return (0..<3).flatMap { path in
                (0..<2).map { configuration.decoder.routingProbability(photon: photon, slot: path, detector: $0) }
            }
        }
        envelopeProbability = PreparedState.allCases.filter { configuration.encoder.probability(of: $0) > 0 }
            .flatMap { state in table.map { $0[Int(state.rawValue)] } }.max() ?? 0
    }

    /// Pulse slots emulated so far.
    public var slotsEmulated: UInt64 { nextSlot }

    /// The probability that a pulse in `state` at intensity index `intensity` produces at least
    /// one click.
    public func clickProbability(_ state: PreparedState, intensity: Int = 0) -> Double {
        clickProbabilityTable[intensity][Int(state.rawValue)]
    }

    /// Emulates the next `slotCount` pulses.
    public mutating func emulate(slotCount: UInt64) -> EmulatedFrame {
        let first = nextSlot
        let end = first + slotCount
        var frame = EmulatedFrame(firstSlot: first, slotCount: slotCount, alice: [], bob: [])
        let expected = Int(min(Double(slotCount) * envelopeProbability * 1.2 + 16, 1e8))
        frame.alice.reserveCapacity(expected)
        frame.bob.reserveCapacity(expected)
        let source = configuration.source
        var slot = first
        while envelopeProbability > 0 {
            let gap = channelGenerator.nextGeometricGap(successProbability: envelopeProbability)
            if gap >= end - slot { break }
            slot += gap
            let state = configuration.encoder.drawState(using: &aliceGenerator)
            let intensity = source.drawIntensity(using: &aliceGenerator)
            frame.alice.append(AliceRecord(slot: slot, state: state, intensity: UInt8(intensity)))
            if channelGenerator.nextUnitInterval() * envelopeProbability < clickProbability(state, intensity: intensity) {
                appendClicks(slot: slot, state: state, intensity: intensity, to: &frame.bob)
            }
            slot += 1
        }
        nextSlot = end
        if let silentDetector { frame.bob.removeAll { Int($0.detector) == silentDetector } }
        return frame
    }

    /// Draws the clicks of one pulse conditioned on at least one click.
    private mutating func appendClicks(slot: UInt64, state: PreparedState, intensity: Int, to bob: inout [BobDetection]) {
        let source = configuration.source
        let photon = geometry.totalClickProbability(state)
        let photonClick = source.detectionProbability(perPhotonTransmittance: photon, intensity: intensity)
        let darkClick = 1 - LinkEmulator.noDarkCountProbability(geometry.darkCountProbability)
        let anyClick = photonClick + darkClick - photonClick * darkClick
        let photonsClicked = channelGenerator.nextUnitInterval() * anyClick < photonClick
        if photonsClicked {
            let detectedPhotons = source.drawSurvivingPhotons(perPhotonTransmittance: photon, intensity: intensity, using: &channelGenerator)
            for _ in 0..<detectedPhotons { bob.append(drawPhotonClick(slot: slot, state: state)) }
        }
        appendDarkCounts(slot: slot, atLeastOne: !photonsClicked, to: &bob)
    }

    /// One detected photon: its path and port by the decoder's routing, its delay by the timing
    /// model, redrawn until it lands in a gate window (conditioning on detection).
    private mutating func drawPhotonClick(slot: UInt64, state: PreparedState) -> BobDetection {
        let weights = routing[Int(state.rawValue)]
        let separation = configuration.encoder.timeBinSeparation
        while true {
            var u = channelGenerator.nextUnitInterval()
            var choice = 0
            while choice < 5, u >= weights[choice] {
                u -= weights[choice]
                choice += 1
            }
            while weights[choice] == 0 { choice -= 1 }
            let path = choice / 2, detector = choice % 2
            let arrival = Double(path) * separation + timing.drawDelay(using: &channelGenerator)
            let picoseconds = Int64((arrival * 1e12).rounded(.down))
            if configuration.tagger.slot(forArrivalTime: Double(picoseconds) * 1e-12, timeBinSeparation: separation) != nil {
                return BobDetection(slot: slot, detector: UInt8(detector), arrivalPicoseconds: picoseconds + arrivalShiftPicoseconds)
            }
        }
    }

    /// Dark counts of the six windows, each with probability `d`, optionally conditioned on at
    /// least one: positions are visited with geometric gaps.
    private mutating func appendDarkCounts(slot: UInt64, atLeastOne: Bool, to bob: inout [BobDetection]) {
        let d = geometry.darkCountProbability
        guard d > 0 else { return }
        var position: Int
        if atLeastOne {
            let noDark = LinkEmulator.noDarkCountProbability(d)
            let u = channelGenerator.nextUnitInterval()
            position = min(5, Int(QKDMath.logOnePlus(-u * (1 - noDark)) / QKDMath.logOnePlus(-d)))
        } else {
            let gap = channelGenerator.nextGeometricGap(successProbability: d)
            if gap >= 6 { return }
            position = Int(gap)
        }
        let separation = configuration.encoder.timeBinSeparation
        let tagger = configuration.tagger
        while position < 6 {
            let window = position / 2
            let start = Double(window) * separation + tagger.gateOffset
            let arrival = start + channelGenerator.nextUnitInterval() * tagger.gateWidth
            var picoseconds = Int64((arrival * 1e12).rounded(.down))
            picoseconds = max(picoseconds, Int64((start * 1e12).rounded(.up)))
            bob.append(BobDetection(slot: slot, detector: UInt8(position % 2), arrivalPicoseconds: picoseconds + arrivalShiftPicoseconds))
            let gap = channelGenerator.nextGeometricGap(successProbability: d)
            if gap >= UInt64(6 - position - 1) { break }
            position += 1 + Int(gap)
        }
    }

    private static func noDarkCountProbability(_ d: Double) -> Double {
        QKDMath.exponential(6 * QKDMath.logOnePlus(-d))
    }
}
