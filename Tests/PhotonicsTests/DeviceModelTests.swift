import Photonics
import QKDCore
import Testing

@Suite struct DeviceModelTests {
    @Test func multiPhotonProbabilityFollowsG2() throws {
        let source = try QuantumDotSource(repetitionRate: 76e6, meanPhotonNumber: 0.2, g2: 0.02, radiativeLifetime: 1e-9)
        #expect(abs(source.multiPhotonProbability - 0.02 * 0.04 / 2) < 1e-15)
        #expect(abs(source.singlePhotonProbability + 2 * source.multiPhotonProbability - 0.2) < 1e-15, "mean photon number is kept")
        #expect(abs(source.vacuumProbability + source.singlePhotonProbability + source.multiPhotonProbability - 1) < 1e-15)
    }

    @Test func impossibleParametersAreRefusedWithTheirName() {
        #expect(throws: QKDError.self) { try QuantumDotSource(repetitionRate: 76e6, meanPhotonNumber: 1.5, g2: 0, radiativeLifetime: 1e-9) }
        #expect(throws: QKDError.self) { try SinglePhotonDetector(efficiency: 1.2, darkCountRate: 100, timingJitter: 0) }
        #expect(throws: QKDError.self) { try Fiber(lengthKm: -1, attenuationDbPerKm: 0.2) }
        #expect(throws: QKDError.self) { try TimeBinDecoder(insertionLossDb: 1, visibility: 1.1) }
        do {
            _ = try Fiber(lengthKm: -5, attenuationDbPerKm: 0.2)
        } catch let error as QKDError {
            #expect(error.message.contains("fibre length"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func overlappingGateWindowsAreRefused() throws {
        #expect(throws: QKDError.self) {
            try LinkConfiguration(
                source: .quantumDot(QuantumDotSource(repetitionRate: 76e6, meanPhotonNumber: 0.01, g2: 0.01, radiativeLifetime: 1e-9)),
                encoder: TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 1e-9),
                fiber: Fiber(lengthKm: 10, attenuationDbPerKm: 0.2),
                decoder: TimeBinDecoder(insertionLossDb: 1, visibility: 0.9),
                detector: SinglePhotonDetector(efficiency: 0.7, darkCountRate: 100, timingJitter: 0),
                tagger: TimeTagger(gateWidth: 2e-9, gateOffset: 0))
        }
    }

    @Test func fibreLossAddsUp() throws {
        let fibre = try Fiber(lengthKm: 120, attenuationDbPerKm: 0.1956, extraLossDb: 1)
        #expect(abs(fibre.lossDb - 24.472) < 1e-9)
        #expect(abs(fibre.transmittance - 3.5708e-3) < 1e-6)
    }

    /// The exponentially modified Gaussian CDF against sampling: 200 000 draws, so each
    /// probability is known to about 0.0011 (1 standard deviation); tolerance 0.006.
    @Test func timingModelCDFMatchesItsSampler() {
        let model = PhotonTimingModel(lifetime: 1e-9, jitter: 80e-12)
        var generator = SeededGenerator(seed: 5)
        let draws = (0..<200_000).map { _ in model.drawDelay(using: &generator) }
        for x in [-100e-12, 0, 0.5e-9, 1e-9, 2e-9, 3.5e-9] {
            let empirical = Double(draws.filter { $0 <= x }.count) / Double(draws.count)
            #expect(abs(empirical - model.cumulativeProbability(x)) < 0.006, "CDF at \(x)")
        }
        let exponential = PhotonTimingModel(lifetime: 1e-9, jitter: 0)
        #expect(abs(exponential.cumulativeProbability(1e-9) - (1 - 1 / 2.718281828459045)) < 1e-12)
    }

    @Test func decoderRoutingConservesProbability() throws {
        let decoder = try TimeBinDecoder(insertionLossDb: 0, visibility: 0.8, phaseOffset: 0.3)
        let encoder = try TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 1e-9, alphabet: .bb84, statePreparationError: 0.01)
        for state in PreparedState.allCases {
            let photon = encoder.photonState(state)
            let total = (0..<3).flatMap { slot in (0..<2).map { decoder.routingProbability(photon: photon, slot: slot, detector: $0) } }.reduce(0, +)
            #expect(abs(total - 1) < 1e-12, "\(state)")
        }
        let ideal = try TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 1e-9)
        #expect(decoder.routingProbability(photon: ideal.photonState(.early), slot: 2, detector: 0) == 0)
        let plus = encoder.photonState(.plus), minus = encoder.photonState(.minus)
        #expect(decoder.routingProbability(photon: plus, slot: 1, detector: 0) > decoder.routingProbability(photon: plus, slot: 1, detector: 1))
        #expect(decoder.routingProbability(photon: minus, slot: 1, detector: 1) > decoder.routingProbability(photon: minus, slot: 1, detector: 0))
    }

    @Test func measurementRuleResolvesMultiClicks() throws {
        let measurement = TimeBinMeasurement(tagger: try TimeTagger(gateWidth: 1e-9, gateOffset: 0), timeBinSeparation: 2e-9)
        var generator = SeededGenerator(seed: 1)
        func click(_ ps: Int64, _ detector: UInt8 = 0) -> BobDetection { BobDetection(slot: 0, detector: detector, arrivalPicoseconds: ps) }
        #expect(measurement.measure([click(100)], using: &generator) == .z(false))
        #expect(measurement.measure([click(4100, 1)], using: &generator) == .z(true))
        #expect(measurement.measure([click(2100, 1)], using: &generator) == .x(true))
        #expect(measurement.measure([click(2100, 0), click(100)], using: &generator) == .z(false), "a Z click outranks X")
        #expect(measurement.measure([click(1500)], using: &generator) == nil, "between windows")
        var lateCount = 0
        for _ in 0..<1000 where measurement.measure([click(100), click(4100)], using: &generator) == .z(true) { lateCount += 1 }
        #expect(lateCount > 400 && lateCount < 600, "both Z bins give a fair random bit (1000 draws, ±6 sigma)")
    }

    @Test func multiClickValueComesFromTheGivenRandomBit() throws {
        let measurement = TimeBinMeasurement(tagger: try TimeTagger(gateWidth: 1e-9, gateOffset: 0), timeBinSeparation: 2e-9)
        func click(_ ps: Int64, _ detector: UInt8 = 0) -> BobDetection { BobDetection(slot: 0, detector: detector, arrivalPicoseconds: ps) }
        for bit in [false, true] {
            #expect(measurement.measure([click(100), click(4100)]) { bit } == .z(bit))
            #expect(measurement.measure([click(2100, 0), click(2100, 1)]) { bit } == .x(bit))
        }
        var asked = false
        #expect(measurement.measure([click(4100)]) { asked = true; return false } == .z(true))
        #expect(!asked, "a single click needs no random bit")
    }
}
