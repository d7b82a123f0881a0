import Photonics
import QKDCore
import Testing

/// Tallies an emulated frame the way Bob's node does: per (Alice's intensity, Alice's state,
/// Bob's result).
private func tally(_ frame: EmulatedFrame, configuration: LinkConfiguration, seed: UInt64) -> [[[Double]]] {
    let measurement = TimeBinMeasurement(tagger: configuration.tagger, timeBinSeparation: configuration.encoder.timeBinSeparation)
    var generator = SeededGenerator(seed: seed)
    var recordBySlot: [UInt64: AliceRecord] = [:]
    for record in frame.alice { recordBySlot[record.slot] = record }
    let states = PreparedState.allCases.count
    var table = [[[Double]]](repeating: [[Double]](repeating: [0, 0, 0, 0], count: states), count: configuration.source.intensityCount)
    var start = 0
    while start < frame.bob.count {
        var end = start + 1
        while end < frame.bob.count, frame.bob[end].slot == frame.bob[start].slot { end += 1 }
        if let result = measurement.measure(frame.bob[start..<end], using: &generator), let record = recordBySlot[frame.bob[start].slot] {
            table[Int(record.intensity)][Int(record.state.rawValue)][LinkOutcome(result).rawValue] += 1
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
        try expectAgreement(try referenceLink(distanceKm: distanceKm, darkCountRate: 2_000), label: "QD \(distanceKm) km")
    }

    /// The same agreement for the laser, per intensity (Poisson photon numbers, where the
    /// analytic model's independence of window-detector pairs is exact), over a grid of
    /// distances, with a four-state alphabet, a preparation error, dead time and afterpulsing in
    /// one of them. Dark counts are raised so that the long-distance points test them.
    @Test(arguments: [0.0, 50.0, 150.0, 250.0])
    func laserEmulatorAgreesWithAnalyticModel(distanceKm: Double) throws {
        try expectAgreement(try laserLink(distanceKm: distanceKm, darkCountRate: 2_000), label: "laser \(distanceKm) km")
    }

    @Test func bb84LinkWithDetectorImperfectionsAgrees() throws {
        let link = try laserLink(
            distanceKm: 20, alphabet: .bb84, statePreparationError: 0.01, deadTime: 50e-9, afterpulseProbability: 0.02, darkCountRate: 500)
        try expectAgreement(link, label: "bb84 20 km")
    }

    /// Emulates about 3e5 detections and compares every (intensity, state, outcome) cell with
    /// the analytic expectation. Each count is a sum of independent Bernoulli draws, so its
    /// standard deviation is about sqrt(expected); the tolerance is 5 standard deviations plus
    /// 1 % of the expectation for the analytic model's independence approximation (multi-click
    /// terms of order ρ², largest at short distance) plus 3 counts for nearly empty cells.
    private func expectAgreement(_ configuration: LinkConfiguration, label: String) throws {
        let analytic = AnalyticLinkModel(configuration: configuration)
        let pulses = UInt64(min(4e10, 3e5 / analytic.detectionProbability))
        var emulator = LinkEmulator(configuration: configuration, seed: 7)
        let observed = tally(emulator.emulate(slotCount: pulses), configuration: configuration, seed: 8)
        for intensity in 0..<configuration.source.intensityCount {
            for state in PreparedState.allCases {
                for outcome in LinkOutcome.allCases {
                    let expected = analytic.probability(intensity: intensity, state, outcome) * Double(pulses)
                    let seen = observed[intensity][Int(state.rawValue)][outcome.rawValue]
                    let tolerance = 5 * expected.squareRoot() + 0.01 * expected + 3
                    #expect(abs(seen - expected) <= tolerance, "\(label), intensity \(intensity), \(state), \(outcome): emulated \(seen), analytic \(expected)")
                }
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
