import Foundation
import Photonics
import QKDCore
import Security

/// Runs the link unattended through simulated time, in one process: the interferometer phase,
/// the devices and the arrival time drift (`LinkDrift`), Bob's phase lock corrects the phase
/// from the X-basis errors he observes, his time-bin synchronisation keeps the gate windows on
/// the photons (`TimeBinSynchronizer`: a pilot before key exchange, then one update per second
/// from his time tags), his gate-width controller sets the windows' width from the dark-count
/// floor of his arrival histogram (`GateWidthController`), the link alarm withholds the frames
/// of a fault (`LinkAlarm`), and injected faults exercise it.
/// It streams one `StabilityBlockRow` per block and keeps only running sums and the frames of
/// the block in progress, so memory does not grow with the duration.
///
/// Per frame: the conditions of the optics are the drift minus the phase shifter's setting and
/// minus the synchronisation's window position (and a fault's effect over the part of the frame
/// it covers); the arrival time changes with every synchronisation update (1 s), the phase and
/// the device wanders once per frame; the frame is emulated and distilled
/// (`EmulatedStabilityFrames`, as in `qkd demo`) or, `accelerated`, drawn from the analytic
/// model (`AnalyticStabilityFrames`); Bob's phase lock reads the frame's public counts, and the
/// drift advances by one frame.
public struct StabilityRunner {
    /// The link, duration, seed, key folder and frame length (the controllers' measurement interval).
    public var settings: LinkRunSettings
    /// Phase diffusion of the interferometer drift (rad/√s), nil for no drift.
    public var phaseDiffusion: Double? = InterferometerPhaseDrift.defaultDiffusion
    /// Whether the source's brightness and the detectors' efficiency and dark counts wander
    /// (`LinkDrift`).
    public var deviceWander = true
    /// Whether Bob's phase lock drives the phase shifter.
    public var controllers = true
    /// Whether the arrival time drifts: the nodes' clocks and the fibre's thermal delay
    /// (`ClockDrift`, `FibreDelayDrift`).
    public var timingDrift = true
    /// Whether Bob's time-bin synchronisation acquires and tracks the arrival time; off, his
    /// windows stay where a calibration by hand put them at the start.
    public var synchronization = true
    /// Whether Bob's gate-width controller sets his windows' width (with `controllers`); off,
    /// they keep the calibrated width.
    public var gateControl = true
    /// The link alarm both endpoints start from.
    public var alarm = LinkAlarm(maximumQBERX: 0.15)
    /// Whether frames come from the analytic model instead of the event-level emulator.
    public var accelerated = false
    /// Faults injected into the run.
    public var faults: [InjectedFault] = []

    /// Creates a runner with drift and controllers on; the duration must be positive.
    public init(configuration: NodeConfiguration, durationSeconds: Double, seed: UInt64, keyDirectory: String) throws {
        settings = try LinkRunSettings(configuration: configuration, durationSeconds: durationSeconds, seed: seed, keyDirectory: keyDirectory)
    }

    /// One frame, kept until its block closes.
    private struct FrameRecord {
        var startSlot: UInt64
        var slotCount: UInt64
        var paused: Bool
        var residualPhase: Double
        var timingErrorSquares: Double
        var acquiring: Bool
        var gateWidth: Double
    }

    /// Runs the link; `onBlock` receives every block as it closes, `onFrame` the link time and
    /// X-basis QBER of every frame (paused or not), `progress` the fraction of link time done.
    public func run(
        onBlock: (StabilityBlockRow) throws -> Void, onFrame: (Double, Double) -> Void = { _, _ in },
        progress: (Double) -> Void = { _ in }
    ) throws -> StabilitySummary {
        let (totalSlots, frameSlots) = try settings.slotCounts()
        let rate = settings.configuration.link.source.repetitionRate
        let source: any StabilityFrameSource = accelerated
            ? try AnalyticStabilityFrames(settings: settings, alarm: alarm)
            : try EmulatedStabilityFrames(settings: settings, alarm: alarm)
        let link = settings.configuration.link
        var drift = try LinkDrift(
            phaseDiffusion: phaseDiffusion, deviceWander: deviceWander, timingDrift: timingDrift,
            fibreLengthKm: link.fiber.lengthKm, seed: settings.seed)
        var stabilizer = PhaseStabilizer(visibility: link.decoder.visibility, lockLossQBER: alarm.maximumQBERX)
        var synchronizer = TimeBinSynchronizer(configuration: link)
        var gate = try GateWidthController(configuration: settings.configuration)
        let adaptsGate = controllers && gateControl
        let tracksTime = timingDrift && synchronization
        var tagGenerator = SeededGenerator(seed: settings.seed, stream: "time-tags")
        var totals = RunningTotals(faults: faults.map { FaultReport(fault: $0) })
        if timingDrift {
            if synchronization {
                totals.acquisition = try acquire(drift: drift, synchronizer: &synchronizer, generator: &tagGenerator)
                totals.acquisitionErrorPs = (synchronizer.estimatedOffset(at: 0) - drift.arrivalTimeOffset) * 1e12
            } else {
                synchronizer.start(offset: drift.arrivalTimeOffset, frequency: 0, at: 0)
            }
        }
        let pieceSlots = timingDrift ? max(1, UInt64(TimeBinSynchronizer.updateSeconds * rate)) : frameSlots
        var frames: [FrameRecord] = []
        var blockStartSlot: UInt64 = 0
        func emitBlocks() throws {
            for report in source.takeBlocks() {
                var consumed = 0
                var withheld: UInt64 = 0, used: UInt64 = 0
                while consumed < frames.count, used < report.pulses {
                    if frames[consumed].paused { withheld += frames[consumed].slotCount } else { used += frames[consumed].slotCount }
                    consumed += 1
                }
                let covered = frames[..<consumed]
                frames.removeFirst(consumed)
                let endSlot = covered.last.map { $0.startSlot + $0.slotCount } ?? blockStartSlot
                let squares = covered.reduce(0) { $0 + $1.residualPhase * $1.residualPhase }
                let gateWidths = covered.reduce(0) { $0 + $1.gateWidth }
                let timingSquares = covered.reduce(0) { $0 + $1.timingErrorSquares }
                let row = StabilityBlockRow(
                    startSeconds: Double(blockStartSlot) / rate, durationSeconds: Double(endSlot - blockStartSlot) / rate,
                    qberZ: report.qberZ, qberX: report.counts.qberX, siftedBits: report.siftedBits, secretBits: report.secretBits,
                    phaseErrorRad: covered.isEmpty ? 0 : (squares / Double(covered.count)).squareRoot(),
                    controllerState: controllers ? (covered.contains { $0.acquiring } ? "acquiring" : "locked") : "off",
                    pausedSeconds: Double(withheld) / rate,
                    timingErrorPs: covered.isEmpty ? 0 : (timingSquares / Double(covered.count)).squareRoot() * 1e12,
                    gateWidthNs: covered.isEmpty ? gate.width * 1e9 : gateWidths / Double(covered.count) * 1e9,
                    darkCountEstimateHz: adaptsGate ? gate.darkCountRate ?? 0 : 0)
                totals.add(report)
                blockStartSlot = endSlot
                try onBlock(row)
            }
        }
        var slot: UInt64 = 0
        var qberAlarmRaised = false
        while slot < totalSlots {
            let count = min(frameSlots, totalSlots - slot)
            var frameSegments: [FrameSegment] = []
            var frameHistogram = [UInt64](repeating: 0, count: ArrivalTimeProfile.binCount)
            var phaseSquares = 0.0, timingSquares = 0.0, pieces = 0.0
            var piece = slot
            while piece < slot + count {
                let pieceCount = min(pieceSlots, slot + count - piece)
                var conditions = drift.conditions
                conditions.decoderPhaseOffset -= controllers ? stabilizer.shifterPhase : 0
                if adaptsGate { conditions.gateWidth = gate.width }
                let pieceEnd = Double(piece + pieceCount) / rate
                if timingDrift {
                    // Both the arrival and the windows (at the estimated frequency) move on during
                    // the piece; their difference, held for it, is the one at its start.
                    conditions.arrivalTimeOffset -= synchronizer.estimatedOffset(at: Double(piece) / rate)
                }
                let pieceSegments = segments(from: piece, count: pieceCount, conditions: conditions, rate: rate)
                frameSegments += pieceSegments
                if tracksTime || adaptsGate {
                    let histogram = observedHistogram(pieceSegments, generator: &tagGenerator)
                    if tracksTime { synchronizer.track(histogram: histogram, end: pieceEnd) }
                    frameHistogram = zip(frameHistogram, histogram).map { $0 + $1 }
                }
                let phase = remainder(conditions.decoderPhaseOffset, 2 * Double.pi)
                phaseSquares += phase * phase
                timingSquares += conditions.arrivalTimeOffset * conditions.arrivalTimeOffset
                pieces += 1
                drift.advanceArrivalTime(seconds: Double(pieceCount) / rate)
                piece += pieceCount
            }
            drift.advanceDevices(seconds: Double(count) / rate)
            let frame = try source.runFrame(frameSegments)
            let residual = (phaseSquares / pieces).squareRoot()
            frames.append(FrameRecord(
                startSlot: slot, slotCount: count, paused: frame.verdict.paused, residualPhase: residual,
                timingErrorSquares: timingSquares / pieces, acquiring: controllers && stabilizer.state == .acquiring,
                gateWidth: adaptsGate ? gate.width : link.tagger.gateWidth))
            totals.gateWidths.add(adaptsGate ? gate.width : link.tagger.gateWidth)
            let startSeconds = Double(slot) / rate, endSeconds = Double(slot + count) / rate
            totals.add(frame: frame, residualPhase: residual, startSeconds: startSeconds, endSeconds: endSeconds)
            totals.timingSquares += timingSquares / pieces
            onFrame((startSeconds + endSeconds) / 2, frame.counts.qberX)
            let raised = frame.verdict.fault == .qber
            if raised, !qberAlarmRaised {
                totals.lockLossEvents += 1
                if totals.firstLockLossSeconds == nil { totals.firstLockLossSeconds = startSeconds }
            }
            qberAlarmRaised = raised
            // Loss and stray light say nothing about the phase; the loop waits them out.
            if controllers, frame.verdict.fault != .loss, frame.verdict.fault != .background {
                stabilizer.update(frameCounts: frame.counts)
                // Nor do they say anything about the dark-count floor.
                if adaptsGate { try gate.observe(histogram: frameHistogram, pulses: count) }
            }
            slot += count
            try emitBlocks()
            progress(Double(slot) / Double(totalSlots))
        }
        try source.finish()
        try emitBlocks()
        return totals.summary(runner: self)
    }

    /// Acquires time-bin synchronisation from a pilot sent in the `pilotSeconds` before the run's
    /// time 0 (no key comes from it), under the drift's conditions at the start.
    private func acquire(drift: LinkDrift, synchronizer: inout TimeBinSynchronizer, generator: inout SeededGenerator) throws -> TimeBinSynchronizer.Acquisition {
        let link = settings.configuration.link
        let pulses = UInt64(TimeBinSynchronizer.pilotSeconds * link.source.repetitionRate)
        let tags = AcquisitionPilot.tags(
            configuration: drift.conditions.applied(to: link), firstSlot: -Int64(pulses), pulses: pulses, patternSeed: settings.seed,
            offset: drift.arrivalTimeOffset, fractionalFrequency: drift.clock?.fractionalFrequency ?? 0, using: &generator)
        return try synchronizer.acquire(tags: tags, start: -TimeBinSynchronizer.pilotSeconds, end: 0, patternSeed: settings.seed)
    }

    /// What Bob's time tagger records over `segments`, relative to his windows: the histogram of
    /// the clicks' times modulo the pulse period.
    private func observedHistogram(_ segments: [FrameSegment], generator: inout SeededGenerator) -> [UInt64] {
        let link = settings.configuration.link
        var histogram = [UInt64](repeating: 0, count: ArrivalTimeProfile.binCount)
        for segment in segments {
            let profile = ArrivalTimeProfile(
                configuration: segment.conditions.applied(to: link), arrivalOffset: segment.conditions.arrivalTimeOffset,
                silentDetector: segment.conditions.latchedDetector)
            histogram = zip(histogram, profile.draw(pulses: segment.slotCount, using: &generator)).map { $0 + $1 }
        }
        return histogram
    }

    /// The frame from `start` split where an injected fault starts or ends, each part with the
    /// faults that cover it applied to `conditions`.
    private func segments(from start: UInt64, count: UInt64, conditions: LinkConditions, rate: Double) -> [FrameSegment] {
        let end = start + count
        let edges = faults.flatMap { [$0.startSeconds, $0.endSeconds] }
            .map { UInt64(($0 * rate).rounded()) }.filter { $0 > start && $0 < end }
        let cuts = [start] + Set(edges).sorted() + [end]
        return zip(cuts, cuts.dropFirst()).map { from, to in
            let middle = (Double(from) + Double(to)) / 2 / rate
            let active = faults.filter { $0.startSeconds <= middle && middle < $0.endSeconds }
            return FrameSegment(slotCount: to - from, conditions: active.reduce(conditions) { $1.applied(to: $0) })
        }
    }

    /// The gate widths of the frames: their mean, smallest and largest.
    private struct WidthStatistics {
        var sum = 0.0, count = 0, minimum = 0.0, maximum = 0.0

        mutating func add(_ width: Double) {
            minimum = count == 0 ? width : min(minimum, width)
            maximum = count == 0 ? width : max(maximum, width)
            sum += width
            count += 1
        }

        var mean: Double { count == 0 ? 0 : sum / Double(count) }
    }

    /// The sums a summary needs, updated frame by frame and block by block.
    private struct RunningTotals {
        var blocks = 0, blocksWithoutKey = 0, siftedBits = 0, secretBits = 0
        var zErrors = 0, xResults: UInt64 = 0, xErrors: UInt64 = 0, maxQberX = 0.0
        var frameXResults: UInt64 = 0, frameXErrors: UInt64 = 0
        var pausedFrames = 0, pausedSeconds = 0.0
        var lockLossEvents = 0
        var firstLockLossSeconds: Double?
        var phaseSquares = 0.0, frames = 0
        var timingSquares = 0.0
        var acquisition: TimeBinSynchronizer.Acquisition?
        var acquisitionErrorPs: Double?
        var gateWidths = WidthStatistics()
        var faults: [FaultReport]

        mutating func add(_ report: BlockReport) {
            blocks += 1
            if report.secretBits == 0 { blocksWithoutKey += 1 }
            siftedBits += report.siftedBits
            secretBits += report.secretBits
            zErrors += report.correctedErrors
            xResults += report.counts.siftedX
            xErrors += report.counts.xErrors
            maxQberX = max(maxQberX, report.counts.qberX)
        }

        mutating func add(frame: StabilityFrame, residualPhase: Double, startSeconds: Double, endSeconds: Double) {
            phaseSquares += residualPhase * residualPhase
            frames += 1
            frameXResults += frame.counts.siftedX
            frameXErrors += frame.counts.xErrors
            if frame.verdict.paused {
                pausedFrames += 1
                pausedSeconds += endSeconds - startSeconds
            }
            for index in faults.indices { faults[index].observe(frameStart: startSeconds, frameEnd: endSeconds, paused: frame.verdict.paused) }
        }

        func summary(runner: StabilityRunner) -> StabilitySummary {
            let settings = runner.settings
            return StabilitySummary(
                preset: settings.configuration.name, distanceKm: settings.configuration.link.fiber.lengthKm,
                durationSeconds: settings.durationSeconds, accelerated: runner.accelerated, phaseDiffusion: runner.phaseDiffusion,
                deviceWander: runner.deviceWander,
                controllers: runner.controllers, alarmQberX: runner.alarm.maximumQBERX, blocks: blocks, blocksAborted: blocksWithoutKey,
                siftedBits: siftedBits, secretBits: secretBits,
                meanQberZ: siftedBits == 0 ? 0 : Double(zErrors) / Double(siftedBits),
                meanQberX: xResults == 0 ? 0 : Double(xErrors) / Double(xResults), maxQberX: maxQberX,
                meanQberXAllFrames: frameXResults == 0 ? 0 : Double(frameXErrors) / Double(frameXResults),
                secretKeyRate: Double(secretBits) / settings.durationSeconds, lockLossEvents: lockLossEvents,
                firstLockLossSeconds: firstLockLossSeconds, pausedFrames: pausedFrames, pausedSeconds: pausedSeconds,
                phaseErrorRmsRad: frames == 0 ? 0 : (phaseSquares / Double(frames)).squareRoot(),
                timingDrift: runner.timingDrift, synchronization: runner.synchronization,
                timingErrorRmsPs: frames == 0 ? 0 : (timingSquares / Double(frames)).squareRoot() * 1e12,
                acquisition: acquisition, acquisitionErrorPs: acquisitionErrorPs,
                gateControl: runner.controllers && runner.gateControl, meanGateWidthNs: gateWidths.mean * 1e9,
                minimumGateWidthNs: gateWidths.minimum * 1e9, maximumGateWidthNs: gateWidths.maximum * 1e9, faults: faults,
                seed: settings.seed)
        }
    }
}
