import Photonics
import QKDCore
import Testing

/// Tallies an emulated frame the way Bob's node does: per (Alice's state, Bob's result).
private func tally(_ frame: EmulatedFrame, configuration: LinkConfiguration, seed: UInt64) -> [[Double]] {
    let measurement = TimeBinMeasurement(tagger: configuration.tagger, timeBinSeparation: configuration.encoder.timeBinSeparation)
    var generator = SeededGenerator(seed: seed)
    var stateBySlot: [UInt64: PreparedState] = [:]
    for record in frame.alice { stateBySlot[record.slot] = record.state }
    var table = [[Double]](repeating: [0, 0, 0, 0], count: 3)
    var start = 0
    while start < frame.bob.count {
        var end = start + 1
        while end < frame.bob.count, frame.bob[end].slot == frame.bob[start].slot { end += 1 }
        if let result = measurement.measure(frame.bob[start..<end], using: &generator), let state = stateBySlot[frame.bob[start].slot] {
            table[Int(state.rawValue)][LinkOutcome(result).rawValue] += 1
        }
        start = end
    }
    return table
}

@Suite struct LinkEmulatorTests {
    /// The emulator and the analytic model must agree cell by cell. Each count is a sum of
    /// independent Bernoulli draws, so its standard deviation is about sqrt(expected); the
    /// tolerance is 5 standard deviations plus 1 % of the expectation for the analytic model's
    /// independence approximation (multi-click terms of order ρ², largest at short distance).
    @Test(arguments: [10.0, 60.0, 120.0, 200.0])
    func emulatorAgreesWithAnalyticModel(distanceKm: Double) throws {
        let configuration = try referenceLink(distanceKm: distanceKm, darkCountRate: 2_000)
        let analytic = AnalyticLinkModel(configuration: configuration)
        let pulses = UInt64(min(4e10, 3e5 / analytic.detectionProbability))
        var emulator = LinkEmulator(configuration: configuration, seed: 7)
        let observed = tally(emulator.emulate(slotCount: pulses), configuration: configuration, seed: 8)
        for state in PreparedState.allCases {
            for outcome in LinkOutcome.allCases {
                let expected = analytic.probability(state, outcome) * Double(pulses)
                let seen = observed[Int(state.rawValue)][outcome.rawValue]
                let tolerance = 5 * expected.squareRoot() + 0.01 * expected + 3
                #expect(abs(seen - expected) <= tolerance, "\(distanceKm) km, \(state), \(outcome): emulated \(seen), analytic \(expected)")
            }
        }
    }

    @Test func sameSeedReproducesFramesBitForBit() throws {
        let configuration = try referenceLink(distanceKm: 50)
        var first = LinkEmulator(configuration: configuration, seed: 99)
        var second = LinkEmulator(configuration: configuration, seed: 99)
        for _ in 0..<3 {
            let a = first.emulate(slotCount: 50_000_000), b = second.emulate(slotCount: 50_000_000)
            #expect(a.alice == b.alice)
            #expect(a.bob == b.bob)
            #expect(!a.bob.isEmpty)
        }
        var fresh = LinkEmulator(configuration: configuration, seed: 99)
        var differentSeed = LinkEmulator(configuration: configuration, seed: 100)
        #expect(fresh.emulate(slotCount: 50_000_000).bob != differentSeed.emulate(slotCount: 50_000_000).bob)
    }

    @Test func framesStayInsideTheirSlotRangeAndInOrder() throws {
        var emulator = LinkEmulator(configuration: try referenceLink(distanceKm: 20), seed: 3)
        _ = emulator.emulate(slotCount: 1_000_000)
        let frame = emulator.emulate(slotCount: 2_000_000)
        #expect(frame.firstSlot == 1_000_000)
        #expect(frame.bob.allSatisfy { $0.slot >= 1_000_000 && $0.slot < 3_000_000 })
        #expect(zip(frame.bob, frame.bob.dropFirst()).allSatisfy { $0.slot <= $1.slot })
        #expect(zip(frame.alice, frame.alice.dropFirst()).allSatisfy { $0.slot < $1.slot })
        let aliceSlots = Set(frame.alice.map(\.slot))
        #expect(frame.bob.allSatisfy { aliceSlots.contains($0.slot) }, "every click has Alice's preparation")
    }

    /// At 120 km the fraction of pulses with a click must match the analytic click probability;
    /// 6e9 pulses give about 8e4 clicks, so 5 standard deviations are about 1.8 %.
    @Test func clickRateMatchesThinningEnvelope() throws {
        let configuration = try referenceLink()
        var emulator = LinkEmulator(configuration: configuration, seed: 11)
        let pulses: UInt64 = 6_000_000_000
        let frame = emulator.emulate(slotCount: pulses)
        let clickedSlots = Set(frame.bob.map(\.slot)).count
        let expected = PreparedState.allCases.reduce(0.0) {
            $0 + configuration.encoder.probability(of: $1) * emulator.clickProbability($1)
        } * Double(pulses)
        #expect(abs(Double(clickedSlots) - expected) < 5 * expected.squareRoot())
    }

    @Test func publishedQBERsAtReferenceSettings() throws {
        let model = AnalyticLinkModel(configuration: try referenceLink())
        #expect(abs(model.qberZ - 0.0685) < 0.005, "Z QBER \(model.qberZ)")
        #expect(abs(model.qberX - 0.0960) < 0.005, "X QBER \(model.qberX)")
    }
}
