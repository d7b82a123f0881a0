import Foundation
import Photonics
import QKDCore
import Testing

@Suite struct TimingDriftTests {
    /// Without frequency noise the offset grows by exactly the frequency times the time.
    @Test func clockOffsetIntegratesTheFrequency() throws {
        var clock = try ClockDrift(timeOffset: 1e-7, fractionalFrequency: 2e-9, frequencyDiffusion: 0, jitter: 0, seed: 1)
        for _ in 0..<10 { clock.advance(seconds: 1) }
        #expect(abs(clock.timeOffset - (1e-7 + 2e-8)) < 1e-18)
        #expect(throws: QKDError.self) { try ClockDrift(timeOffset: 0, fractionalFrequency: 0, frequencyDiffusion: -1, seed: 1) }
    }

    /// 120 km moves by about 4.1 ns per kelvin (7 ppm/K of a 588 µs transit), and the
    /// temperature starts from its stationary spread, 0.5 K: over 400 seeds the rms lies within
    /// 15 % of it (the rms of 400 normal draws has a relative standard deviation of 3.5 %). The
    /// fibre's thermal lag makes the delay smooth: over a second it moves by less than 10 ps.
    @Test func fibreDelayFollowsTheTemperature() throws {
        #expect(abs(FibreDelayDrift.delayPerKmKelvin * 120 - 4.11e-9) < 0.02e-9)
        var squares = 0.0
        for seed in 0..<400 as Range<UInt64> {
            var fibre = try FibreDelayDrift(lengthKm: 120, seed: seed)
            #expect(abs(fibre.delayChange - fibre.temperatureChange * FibreDelayDrift.delayPerKmKelvin * 120) < 1e-20)
            squares += fibre.temperatureChange * fibre.temperatureChange
            let before = fibre.delayChange
            fibre.advance(seconds: 1)
            #expect(abs(fibre.delayChange - before) < 10e-12)
        }
        #expect(abs((squares / 400).squareRoot() / FibreDelayDrift.temperatureDeviation - 1) < 0.15)
    }

    /// A latched detector gives no click, in the emulator and in the analytic model, and the other
    /// clicks as before: its count matches detector 0's count of an equal healthy frame within 5
    /// standard deviations of the difference of two Poisson counts.
    @Test func latchedDetectorGivesNoClick() throws {
        let link = try referenceLink(distanceKm: 20)
        var emulator = LinkEmulator(configuration: link, seed: 4)
        let healthy = emulator.emulate(slotCount: 20_000_000).bob.filter { $0.detector == 0 }.count
        var latched = LinkConditions()
        latched.latchedDetector = 1
        emulator.setConditions(latched)
        let frame = emulator.emulate(slotCount: 20_000_000)
        #expect(frame.bob.allSatisfy { $0.detector == 0 })
        #expect(abs(Double(frame.bob.count) - Double(healthy)) < 5 * Double(2 * healthy).squareRoot())
        let model = AnalyticLinkModel(configuration: link, silentDetector: 1)
        #expect(model.probability(.plus, .xMinus) == 0 && model.probability(.plus, .xPlus) > 0)
    }

    /// The arrival profile moves with the offset: its first Fourier coefficient turns by 2π δ/T
    /// (to within the 206 ps bins' discretisation, a few ps), and dark counts only add a floor.
    @Test func arrivalProfileTurnsWithTheOffset() throws {
        let link = try referenceLink()
        func angle(_ offset: Double) -> Double {
            let profile = ArrivalTimeProfile(configuration: link, arrivalOffset: offset)
            let n = Double(profile.expectedPerPulse.count)
            let x = profile.expectedPerPulse.enumerated().reduce(0.0) { $0 + $1.1 * cos(2 * .pi * (Double($1.0) + 0.5) / n) }
            let y = profile.expectedPerPulse.enumerated().reduce(0.0) { $0 + $1.1 * sin(2 * .pi * (Double($1.0) + 0.5) / n) }
            return atan2(y, x)
        }
        let period = 1 / link.source.repetitionRate
        for offset in [0.3e-9, 1.7e-9, -2.9e-9, 40 * period + 0.5e-9] {
            let turned = remainder(angle(offset) - angle(0), 2 * .pi) / (2 * .pi) * period
            let expected = remainder(offset, period)
            #expect(abs(turned - expected) < 5e-12, "\(offset): \(turned) vs \(expected)")
        }
    }
}
