import Foundation
import Photonics
import QKDCore
import Security

/// Runs the link unattended through simulated time, in one process: the interferometer phase
/// drifts frame by frame, Bob's phase lock corrects it from the X-basis errors he observes, and
/// the QBER alarm aborts the blocks of faulty frames. It streams one `StabilityBlockRow` per
/// block and keeps only running sums, so memory does not grow with the duration.
///
/// Per frame: the emulator's decoder phase is set to the drift minus the phase shifter's
/// setting, the frame is emulated and distilled (`InProcessLink`, as in `qkd demo`), Bob's
/// phase lock reads the frame's public counts, and the drift advances by one frame.
public struct StabilityRunner {
    /// The link and post-processing.
    public var configuration: NodeConfiguration
    /// Simulated link time (s).
    public var durationSeconds: Double
    /// Seed of every random choice of the run.
    public var seed: UInt64
    /// Folder of the two key stores (`alice.sqlite`, `bob.sqlite`), replaced at each run.
    public var keyDirectory: String
    /// Phase diffusion of the interferometer drift (rad/√s), nil for no drift.
    public var phaseDiffusion: Double? = InterferometerPhaseDrift.defaultDiffusion
    /// Whether Bob's phase lock drives the phase shifter.
    public var controllers = true
    /// The QBER alarm shared by both endpoints.
    public var alarm = QBERAlarm(maximumQBERX: 0.15)
    /// Link time emulated per frame (s), the controller's measurement interval.
    public var frameSeconds: Double = 10

    /// Creates a runner with drift and controllers on.
    public init(configuration: NodeConfiguration, durationSeconds: Double, seed: UInt64, keyDirectory: String) throws {
        guard durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "duration must be positive, got \(durationSeconds) s")
        }
        self.configuration = configuration
        self.durationSeconds = durationSeconds
        self.seed = seed
        self.keyDirectory = keyDirectory
    }

    /// The residual phase of one frame, kept until its block closes.
    private struct FrameRecord {
        var endSlot: UInt64
        var residualPhase: Double
        var acquiring: Bool
    }

    /// Runs the link; `onBlock` receives every block as it closes, `progress` the fraction of
    /// link time done.
    public func run(onBlock: (StabilityBlockRow) throws -> Void, progress: (Double) -> Void = { _ in }) throws -> StabilitySummary {
        guard frameSeconds > 0, frameSeconds.isFinite else {
            throw QKDError(.invalidParameter, "frame length must be positive, got \(frameSeconds) s")
        }
        let storePaths = try DemoRunner.prepareKeyDirectory(keyDirectory)
        let link = try InProcessLink(configuration: configuration, seed: seed, aliceStorePath: storePaths[0], bobStorePath: storePaths[1])
        link.alice.qberAlarm = alarm
        link.bob.qberAlarm = alarm
        var latestCounts: ThreeStateCounts?
        link.bob.onSiftedFrame = { latestCounts = $0 }
        var drift = try phaseDiffusion.map { try InterferometerPhaseDrift(diffusion: $0, seed: seed) }
        var stabilizer = PhaseStabilizer(visibility: configuration.link.decoder.visibility, lockLossQBER: alarm.maximumQBERX)
        let rate = configuration.link.source.repetitionRate
        let totalSlots = UInt64((durationSeconds * rate).rounded())
        let frameSlots = max(1, UInt64(frameSeconds * rate))
        var totals = RunningTotals()
        var frames: [FrameRecord] = []
        var blockStartSlot: UInt64 = 0
        func emitBlocks() throws {
            for report in link.bob.takeReports() {
                let endSlot = blockStartSlot + report.pulses
                let count = frames.prefix { $0.endSlot <= endSlot }.count
                let covered = frames[..<count]
                frames.removeFirst(count)
                let squares = covered.reduce(0) { $0 + $1.residualPhase * $1.residualPhase }
                let row = StabilityBlockRow(
                    startSeconds: Double(blockStartSlot) / rate, durationSeconds: Double(report.pulses) / rate,
                    qberZ: report.qberZ, qberX: report.counts.qberX, siftedBits: report.siftedBits, secretBits: report.secretBits,
                    phaseErrorRad: covered.isEmpty ? 0 : (squares / Double(covered.count)).squareRoot(),
                    controllerState: controllers ? (covered.contains { $0.acquiring } ? "acquiring" : "locked") : "off",
                    abortedByAlarm: report.abortedByAlarm)
                totals.add(report)
                blockStartSlot = endSlot
                try onBlock(row)
            }
        }
        var alarmRaised = false
        while link.emulator.slotsEmulated < totalSlots {
            let shifter = controllers ? stabilizer.shifterPhase : 0
            let residual = (drift?.phase ?? 0) - shifter
            link.emulator.setDecoderPhaseOffset(residual)
            latestCounts = nil
            try link.runFrame(slotCount: min(frameSlots, totalSlots - link.emulator.slotsEmulated))
            frames.append(FrameRecord(
                endSlot: link.emulator.slotsEmulated, residualPhase: remainder(residual, 2 * Double.pi),
                acquiring: controllers && stabilizer.state == .acquiring))
            totals.addPhase(remainder(residual, 2 * Double.pi))
            if let counts = latestCounts {
                let raised = alarm.isRaised(by: counts)
                if raised, !alarmRaised {
                    totals.lockLossEvents += 1
                    if totals.firstLockLossSeconds == nil { totals.firstLockLossSeconds = Double(link.emulator.slotsEmulated - counts.pulses) / rate }
                }
                alarmRaised = raised
                if controllers { stabilizer.update(frameCounts: counts) }
            }
            _ = drift?.advance(seconds: frameSeconds)
            try emitBlocks()
            progress(Double(link.emulator.slotsEmulated) / Double(totalSlots))
        }
        try link.finish()
        try emitBlocks()
        return totals.summary(runner: self)
    }

    /// The sums a summary needs, updated block by block.
    private struct RunningTotals {
        var blocks = 0, blocksAborted = 0, siftedBits = 0, secretBits = 0
        var zErrors = 0, xResults: UInt64 = 0, xErrors: UInt64 = 0, maxQberX = 0.0
        var lockLossEvents = 0
        var firstLockLossSeconds: Double?
        var phaseSquares = 0.0, frames = 0

        mutating func add(_ report: BlockReport) {
            blocks += 1
            if report.abortedByAlarm { blocksAborted += 1 }
            siftedBits += report.siftedBits
            secretBits += report.secretBits
            zErrors += report.correctedErrors
            xResults += report.counts.siftedX
            xErrors += report.counts.xErrors
            maxQberX = max(maxQberX, report.counts.qberX)
        }

        mutating func addPhase(_ residual: Double) {
            phaseSquares += residual * residual
            frames += 1
        }

        func summary(runner: StabilityRunner) -> StabilitySummary {
            StabilitySummary(
                preset: runner.configuration.name, distanceKm: runner.configuration.link.fiber.lengthKm,
                durationSeconds: runner.durationSeconds, phaseDiffusion: runner.phaseDiffusion, controllers: runner.controllers,
                alarmQberX: runner.alarm.maximumQBERX, blocks: blocks, blocksAborted: blocksAborted,
                siftedBits: siftedBits, secretBits: secretBits,
                meanQberZ: siftedBits == 0 ? 0 : Double(zErrors) / Double(siftedBits),
                meanQberX: xResults == 0 ? 0 : Double(xErrors) / Double(xResults), maxQberX: maxQberX,
                secretKeyRate: Double(secretBits) / runner.durationSeconds, lockLossEvents: lockLossEvents,
                firstLockLossSeconds: firstLockLossSeconds,
                phaseErrorRmsRad: frames == 0 ? 0 : (phaseSquares / Double(frames)).squareRoot(), seed: runner.seed)
        }
    }
}
