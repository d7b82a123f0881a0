import QKDCore

/// The event-level Monte Carlo emulator of the time-bin link.
///
/// Its cost follows detections, not pulses: it never visits an empty pulse. It draws candidate
/// slots with geometric gaps at the envelope probability `p_max = max_s P(click | state s)`,
/// draws Alice's state for each candidate, accepts it with probability `P(click | s) / p_max`
/// (thinning, which is exact because Alice's choices are independent of the channel), and then
/// draws what happened conditioned on at least one click: the photon number (vacuum, one,
/// two), each photon's loss, path through Bob's interferometer, output port (with the
/// interference visibility in the middle slot) and arrival delay (emission tail plus jitter,
/// which can put it in the wrong time bin or outside every gate), and the dark counts of the six
/// gate windows. The same seed reproduces the same frames bit for bit.
public struct LinkEmulator: Sendable {
    /// The emulated link.
    public let configuration: LinkConfiguration
    private let geometry: DetectionGeometry
    private let timing: PhotonTimingModel
    private let clickProbabilityPerState: [Double]
    private let envelopeProbability: Double
    private var aliceGenerator: SeededGenerator
    private var channelGenerator: SeededGenerator
    private var nextSlot: UInt64 = 0

    /// Creates an emulator with a seed.
    public init(configuration: LinkConfiguration, seed: UInt64) {
        self.configuration = configuration
        geometry = DetectionGeometry(configuration: configuration)
        timing = PhotonTimingModel(
            lifetime: configuration.source.radiativeLifetime, jitter: configuration.detector.timingJitter)
        let darkFree = LinkEmulator.noDarkCountProbability(geometry.darkCountProbability)
        let source = configuration.source
        let geometry = self.geometry
        clickProbabilityPerState = PreparedState.allCases.map { state in
            let photon = source.detectionProbability(perPhotonTransmittance: geometry.totalClickProbability(state))
            return 1 - darkFree * (1 - photon)
        }
        envelopeProbability = clickProbabilityPerState.max() ?? 0
        aliceGenerator = SeededGenerator(seed: seed, stream: "alice")
        channelGenerator = SeededGenerator(seed: seed, stream: "channel")
    }

    /// Pulse slots emulated so far.
    public var slotsEmulated: UInt64 { nextSlot }

    /// The probability that a pulse in `state` produces at least one click.
    public func clickProbability(_ state: PreparedState) -> Double {
        clickProbabilityPerState[Int(state.rawValue)]
    }

    /// Emulates the next `slotCount` pulses.
    public mutating func emulate(slotCount: UInt64) -> EmulatedFrame {
        let first = nextSlot
        let end = first + slotCount
        var frame = EmulatedFrame(firstSlot: first, slotCount: slotCount, alice: [], bob: [])
        let expected = Int(min(Double(slotCount) * envelopeProbability * 1.2 + 16, 1e8))
        frame.alice.reserveCapacity(expected)
        frame.bob.reserveCapacity(expected)
        var slot = first
        while envelopeProbability > 0 {
            let gap = channelGenerator.nextGeometricGap(successProbability: envelopeProbability)
            if gap >= end - slot { break }
            slot += gap
            let state = configuration.encoder.drawState(using: &aliceGenerator)
            frame.alice.append(AliceRecord(slot: slot, state: state))
            if channelGenerator.nextUnitInterval() * envelopeProbability < clickProbability(state) {
                appendClicks(slot: slot, state: state, to: &frame.bob)
            }
            slot += 1
        }
        nextSlot = end
        return frame
    }

    /// Draws the clicks of one pulse conditioned on at least one click.
    private mutating func appendClicks(slot: UInt64, state: PreparedState, to bob: inout [BobDetection]) {
        let source = configuration.source
        let photon = geometry.totalClickProbability(state)
        let photonClick = source.detectionProbability(perPhotonTransmittance: photon)
        let darkClick = 1 - LinkEmulator.noDarkCountProbability(geometry.darkCountProbability)
        let anyClick = photonClick + darkClick - photonClick * darkClick
        let photonsClicked = channelGenerator.nextUnitInterval() * anyClick < photonClick
        if photonsClicked {
            let two = source.multiPhotonProbability * (1 - (1 - photon) * (1 - photon))
            var detectedPhotons = 1
            if channelGenerator.nextUnitInterval() * photonClick < two {
                let bothGivenAny = photon * photon / (1 - (1 - photon) * (1 - photon))
                if channelGenerator.nextBernoulli(bothGivenAny) { detectedPhotons = 2 }
            }
            for _ in 0..<detectedPhotons { bob.append(drawPhotonClick(slot: slot, state: state)) }
        }
        appendDarkCounts(slot: slot, atLeastOne: !photonsClicked, to: &bob)
    }

    /// One detected photon: its path and port by the decoder's routing, its delay by the timing
    /// model, redrawn until it lands in a gate window (conditioning on detection).
    private mutating func drawPhotonClick(slot: UInt64, state: PreparedState) -> BobDetection {
        let decoder = configuration.decoder
        let separation = configuration.encoder.timeBinSeparation
        while true {
            var u = channelGenerator.nextUnitInterval()
            var path = 0, detector = 0
            search: for candidatePath in 0..<3 {
                for candidateDetector in 0..<2 {
                    let p = decoder.routingProbability(state: state, slot: candidatePath, detector: candidateDetector)
                    if u < p { path = candidatePath; detector = candidateDetector; break search }
                    u -= p
                }
            }
            let arrival = Double(path) * separation + timing.drawDelay(using: &channelGenerator)
            let picoseconds = Int64((arrival * 1e12).rounded(.down))
            if configuration.tagger.slot(forArrivalTime: Double(picoseconds) * 1e-12, timeBinSeparation: separation) != nil {
                return BobDetection(slot: slot, detector: UInt8(detector), arrivalPicoseconds: picoseconds)
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
            bob.append(BobDetection(slot: slot, detector: UInt8(position % 2), arrivalPicoseconds: picoseconds))
            let gap = channelGenerator.nextGeometricGap(successProbability: d)
            if gap >= UInt64(6 - position - 1) { break }
            position += 1 + Int(gap)
        }
    }

    private static func noDarkCountProbability(_ d: Double) -> Double {
        QKDMath.exponential(6 * QKDMath.logOnePlus(-d))
    }
}
