import Foundation
import Photonics
import QKDCore
import QKDNode
import Testing

@Suite struct TimeBinSynchronizerTests {
    /// Acquisition from the 10 s pilot finds an injected offset (whole periods and the rest) and
    /// frequency. Tolerances: the fitted offset at the pilot's end has a standard deviation of
    /// about 0.1 ns (100 phase points of about 0.5 ns each, extrapolated 5 s from their centre),
    /// the frequency about 2e-11; the bounds are 0.5 ns and 1e-10, five standard deviations.
    @Test(arguments: [(37, 2.345e-9, 3e-9), (-21, 11.9e-9, -1.5e-9), (0, 0.05e-9, 4.5e-9)])
    func acquisitionFindsAnInjectedOffset(periods: Int, remainder: Double, frequency: Double) throws {
        let link = try PresetCatalog.configuration(named: "paper-120km").link
        let period = 1 / link.source.repetitionRate
        let offset = Double(periods) * period + remainder
        let pulses = UInt64(TimeBinSynchronizer.pilotSeconds / period)
        var generator = SeededGenerator(seed: 7, stream: "pilot")
        let tags = AcquisitionPilot.tags(
            configuration: link, firstSlot: -Int64(pulses), pulses: pulses, patternSeed: 11, offset: offset,
            fractionalFrequency: frequency, using: &generator)
        var synchronizer = TimeBinSynchronizer(configuration: link)
        let found = try synchronizer.acquire(tags: tags, start: -TimeBinSynchronizer.pilotSeconds, end: 0, patternSeed: 11)
        #expect(abs(found.offsetSeconds - offset) < 500e-12, "found \(found.offsetSeconds), injected \(offset)")
        #expect(abs(found.fractionalFrequency - frequency) < 1e-10)
        #expect(found.agreement > 0.85 && found.runnerUpAgreement < 0.6)
        #expect(synchronizer.state == .tracking && synchronizer.estimatedOffset(at: 0) == found.offsetSeconds)
        // With another pattern seed nothing matches: acquisition refuses instead of guessing.
        var stranger = TimeBinSynchronizer(configuration: link)
        #expect(throws: QKDError.self) { try stranger.acquire(tags: tags, start: -10, end: 0, patternSeed: 12) }
    }

    /// Tracking follows a clock 2 ppb fast from what an acquisition leaves, here a 1 ns error and
    /// a frequency 5e-11 off (the pilot's standard deviation is 2e-11): after two minutes (six time
    /// constants) the residual's rms is below 70 ps (the loop's noise is about 40 ps rms; 180
    /// one-second samples correlated over about 20 s leave its estimate uncertain by about 25 %)
    /// and the frequency estimate is within 2e-11 of the truth.
    @Test func trackingFollowsADriftingClock() throws {
        let link = try PresetCatalog.configuration(named: "paper-120km").link
        var synchronizer = TimeBinSynchronizer(configuration: link)
        synchronizer.start(offset: -1e-9, frequency: 2e-9 + 5e-11, at: 0)
        var generator = SeededGenerator(seed: 5, stream: "tracking")
        let pulses = UInt64(link.source.repetitionRate)
        var squares = 0.0
        for second in 1...300 {
            let truth = 2e-9 * (Double(second) - 0.5)
            let residual = truth - synchronizer.estimatedOffset(at: Double(second) - 0.5)
            if second > 120 { squares += residual * residual }
            let histogram = ArrivalTimeProfile(configuration: link, arrivalOffset: residual).draw(pulses: pulses, using: &generator)
            synchronizer.track(histogram: histogram, end: Double(second))
        }
        let rms = (squares / 180).squareRoot()
        #expect(rms < 70e-12, "\(rms)")
        #expect(abs(synchronizer.frequency - 2e-9) < 2e-11)
    }
}
