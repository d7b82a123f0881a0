import Foundation
import Photonics
import QKDCore
import QKDNode
import Testing

/// The paper's 120 km link with its 800 000-bit blocks.
private func paperConfiguration() throws -> NodeConfiguration {
    try PresetCatalog.configuration(named: "paper-120km")
}

/// `seconds` of Bob's arrival histograms on the paper's link under `conditions`, fed to
/// `controller` in 10 s frames, drawn from `generator`.
private func feed(_ controller: inout GateWidthController, seconds: Double, conditions: LinkConditions, generator: inout SeededGenerator) throws {
    let link = try paperConfiguration().link
    let profile = ArrivalTimeProfile(configuration: conditions.applied(to: link), arrivalOffset: 0)
    let frameSlots = UInt64(10 * link.source.repetitionRate)
    for _ in 0..<Int(seconds / 10) {
        try controller.observe(histogram: profile.draw(pulses: frameSlots, using: &generator), pulses: frameSlots)
    }
}

@Suite struct GateWidthControllerTests {
    /// After one 300 s update interval of histograms with the dark counts at 140 Hz and the
    /// signal at 90 % of the calibration, the estimates are within 3 % of both (seed 7; the
    /// dark-count floor holds about 21 000 counts, 0.7 % standard deviation, so 3 % is about 4σ).
    @Test func estimatesTheDarkCountFloorAndTheSignal() throws {
        var controller = try GateWidthController(configuration: paperConfiguration())
        var generator = SeededGenerator(seed: 7, stream: "gate-test")
        var conditions = LinkConditions()
        conditions.darkCountRateFactor = 1.4
        conditions.detectorEfficiencyFactor = 0.9
        try feed(&controller, seconds: 290, conditions: conditions, generator: &generator)
        #expect(controller.state == .collecting && controller.darkCountRate == nil)
        try feed(&controller, seconds: 10, conditions: conditions, generator: &generator)
        let dark = try #require(controller.darkCountRate)
        let signal = try #require(controller.signalFactor)
        #expect(abs(dark / 140 - 1) < 0.03, "\(dark) Hz")
        #expect(abs(signal / 0.9 - 1) < 0.03, "\(signal)")
        #expect(controller.state == .tracking)
    }

    /// The optimum narrows as the dark counts rise, and at the preset's 100 Hz it is narrower
    /// than the preset's 2 ns (drift-free runs give 24.3 bit/s at 1.3 ns against 17.8 at 2 ns,
    /// BENCHMARKS.md).
    @Test func theOptimumNarrowsAsTheDarkCountsRise() throws {
        let controller = try GateWidthController(configuration: paperConfiguration())
        let quiet = try controller.optimum(signalFactor: 1, darkCountRate: 60)
        let preset = try controller.optimum(signalFactor: 1, darkCountRate: 100)
        let warm = try controller.optimum(signalFactor: 1, darkCountRate: 140)
        #expect(quiet > preset && preset > warm, "\(quiet), \(preset), \(warm) s")
        #expect(preset < 1.8e-9 && preset > controller.minimumWidth)
        // A weaker signal is like more dark counts.
        #expect(try controller.optimum(signalFactor: 0.7, darkCountRate: 100) < preset)
    }

    /// One update moves the width by at most `maximumStep`; an interval without signal (a fibre
    /// cut) leaves it where it was.
    @Test func stepsAreLimitedAndAnEmptyHistogramHolds() throws {
        var controller = try GateWidthController(configuration: paperConfiguration())
        var generator = SeededGenerator(seed: 8, stream: "gate-test")
        var warm = LinkConditions()
        warm.darkCountRateFactor = 1.4
        try feed(&controller, seconds: 300, conditions: warm, generator: &generator)
        #expect(abs(controller.width - (2e-9 - controller.maximumStep)) < 1e-15, "\(controller.width) s")
        #expect(try #require(controller.optimumWidth) < controller.width - controller.maximumStep)
        var cut = warm
        cut.channelTransmittanceFactor = 0
        try feed(&controller, seconds: 300, conditions: cut, generator: &generator)
        #expect(controller.state == .holding)
        #expect(abs(controller.width - (2e-9 - controller.maximumStep)) < 1e-15)
        #expect(try #require(controller.signalFactor) < controller.minimumSignalFactor)
    }

    @Test func aHistogramOfTheWrongSizeIsRefused() throws {
        var controller = try GateWidthController(configuration: paperConfiguration())
        #expect(throws: QKDError.self) { try controller.observe(histogram: [1, 2, 3], pulses: 100) }
    }

    /// The paper's link without drift for 8 h, the room warming from 2 h to the end (dark
    /// counts +40 %, 140 Hz): with the controller the gate narrows during the warm spell and the
    /// blocks keep giving key, while the fixed 2 ns gate keeps its width and gives none at 140 Hz
    /// (the 24 h table in BENCHMARKS.md). Accelerated; deterministic (seed 1).
    @Test func aWarmRoomNarrowsTheGateAndTheKeyBeatsTheFixedGate() throws {
        let folder = try temporaryFolder()  // the accelerated run stores no keys
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let warmFrom = 7200.0
        func run(gate: Bool) throws -> (StabilitySummary, [StabilityBlockRow]) {
            var runner = try StabilityRunner(
                configuration: try paperConfiguration(), durationSeconds: 8 * 3600, seed: 1, keyDirectory: folder)
            runner.phaseDiffusion = nil
            runner.deviceWander = false
            runner.timingDrift = false
            runner.accelerated = true
            runner.gateControl = gate
            runner.faults = [try InjectedFault(kind: .roomWarming, startSeconds: warmFrom, durationSeconds: 6 * 3600)]
            var rows: [StabilityBlockRow] = []
            let summary = try runner.run { rows.append($0) }
            return (summary, rows)
        }
        let (adaptive, adaptiveRows) = try run(gate: true)
        let (fixed, fixedRows) = try run(gate: false)
        #expect(fixedRows.allSatisfy { abs($0.gateWidthNs - 2) < 1e-9 } && !fixed.gateControl)
        #expect(adaptive.gateControl && adaptive.pausedFrames == 0 && fixed.pausedFrames == 0)
        let before = try #require(adaptiveRows.last { $0.startSeconds + $0.durationSeconds <= warmFrom })
        let warmLate = adaptiveRows.filter { $0.startSeconds >= warmFrom + 3600 }
        #expect(!warmLate.isEmpty && warmLate.allSatisfy { $0.gateWidthNs < before.gateWidthNs - 0.05 },
                "\(before.gateWidthNs) ns before, \(warmLate.map(\.gateWidthNs)) ns warm")
        #expect(warmLate.allSatisfy { abs($0.darkCountEstimateHz / 140 - 1) < 0.05 }, "\(warmLate.map(\.darkCountEstimateHz)) Hz")
        // Key per second of the blocks that start an hour into the warm spell (the two runs'
        // blocks close at different times).
        func warmRate(_ rows: [StabilityBlockRow]) -> Double {
            let warm = rows.filter { $0.startSeconds >= warmFrom + 3600 }
            return Double(warm.reduce(0) { $0 + $1.secretBits }) / max(1, warm.reduce(0) { $0 + $1.durationSeconds })
        }
        #expect(warmRate(adaptiveRows) > 0 && warmRate(adaptiveRows) > 1.2 * warmRate(fixedRows), "\(warmRate(adaptiveRows)) vs \(warmRate(fixedRows)) bit/s")
        #expect(adaptive.secretKeyRate > fixed.secretKeyRate, "\(adaptive.secretKeyRate) vs \(fixed.secretKeyRate) bit/s")
    }
}
