import Foundation
import Photonics
import QKDCore
import Security

/// The frames of `qkd run --accelerated`: each frame's public counts are drawn from the analytic
/// link model (`AnalyticLinkModel`) under the frame's conditions, and each block's secret length
/// comes from the finite-key bound with error correction's leakage modelled (`KeyRateModel`:
/// `f = 1.06` times `n h(QBER_Z)` plus the verification tag), instead of emulating every
/// detection and running Cascade. No keys are stored.
///
/// Statistically the frames are those of the emulator: every count of (intensity, state,
/// result) is Poisson with the emulator's expectation, because a frame holds millions of
/// independent pulses each clicking with a small probability (the analytic model and the
/// emulator share `DetectionGeometry`). Means below 30 are drawn exactly; above, by the normal
/// approximation (skewness below 0.2). The alarm and the blocks follow the same rules as the
/// endpoints: paused frames are withheld, and a block closes at the first frame that brings it
/// to the block size.
final class AnalyticStabilityFrames: StabilityFrameSource {
    private let calibrated: LinkConfiguration
    private let blockSize: Int
    private let keyRate: KeyRateModel
    private var alarm: LinkAlarm
    private var generator: SeededGenerator
    private var model: AnalyticLinkModel
    private var modelConditions = LinkConditions()
    private var block: [ThreeStateCounts]
    private var reports: [BlockReport] = []
    private var nextBlockID: UInt64 = 0

    init(settings: LinkRunSettings, alarm: LinkAlarm) throws {
        let configuration = settings.configuration
        calibrated = configuration.link
        blockSize = configuration.postProcessing.blockSize
        keyRate = try KeyRateModel(configuration: configuration, finiteSize: true)
        self.alarm = alarm
        generator = SeededGenerator(seed: settings.seed, stream: "analytic-frames")
        model = AnalyticLinkModel(configuration: calibrated)
        block = Array(repeating: .zero, count: calibrated.source.intensityCount)
    }

    func runFrame(_ segments: [FrameSegment]) throws -> StabilityFrame {
        var perIntensity = Array(repeating: ThreeStateCounts.zero, count: block.count)
        for segment in segments {
            perIntensity = zip(perIntensity, try draw(segment)).map { $0 + $1 }
        }
        let counts = perIntensity.reduce(ThreeStateCounts.zero, +)
        let verdict = alarm.judge(counts)
        if !verdict.paused {
            block = zip(block, perIntensity).map { $0 + $1 }
            if block.reduce(0, { $0 + Int($1.siftedZ) }) >= blockSize { try closeBlock() }
        }
        return StabilityFrame(counts: counts, verdict: verdict)
    }

    func takeBlocks() -> [BlockReport] {
        defer { reports.removeAll() }
        return reports
    }

    func finish() throws {
        if block.contains(where: { $0.siftedZ > 0 }) { try closeBlock() }
    }

    /// The counts of one segment, per intensity.
    private func draw(_ segment: FrameSegment) throws -> [ThreeStateCounts] {
        if segment.conditions != modelConditions {
            model = AnalyticLinkModel(configuration: segment.conditions.applied(to: calibrated), silentDetector: segment.conditions.latchedDetector)
            modelConditions = segment.conditions
        }
        let source = calibrated.source
        let slots = Double(segment.slotCount)
        return try (0..<source.intensityCount).map { intensity in
            try ThreeStateCounts(
                pulses: UInt64((slots * source.intensityProbability(intensity)).rounded()),
                counts: [PreparedState.early, .late, .plus].map { state in
                    LinkOutcome.allCases.map { generator.nextPoisson(mean: slots * model.probability(intensity: intensity, state, $0)) }
                })
        }
    }

    private func closeBlock() throws {
        let total = block.reduce(ThreeStateCounts.zero, +)
        let bound = try keyRate.secretKey(perIntensity: block)
        let leakage = KeyRateModel.leakage(siftedZ: total.siftedZ, qberZ: total.qberZ)
        reports.append(BlockReport(
            blockID: nextBlockID, pulses: total.pulses, counts: total, siftedBits: Int(total.siftedZ),
            correctedErrors: Int(total.zErrors), disclosedBits: leakage - KeyRateModel.verificationBits, roundTrips: 0,
            verificationBits: KeyRateModel.verificationBits, verified: true, bound: bound,
            secretBits: max(0, bound.secretBits), keysStored: 0, leftoverBits: 0))
        nextBlockID += 1
        block = Array(repeating: .zero, count: block.count)
    }
}
