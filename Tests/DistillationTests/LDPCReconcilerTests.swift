@testable import Distillation
import Foundation
import QKDCore
import Testing

@Suite struct LDPCReconcilerTests {
    /// Key bits per frame in the fast tests. Every test plans for 2 % QBER with the default
    /// maximum efficiency, so they all share one code (rate 0.85, lifting 11, 8800 bits), built
    /// once per process by the shared cache; one test also plans for 7 % (a second code).
    private let blockSize = 8000

    private func noisyPair(length: Int, qber: Double, seed: UInt64) -> (alice: BitVector, bob: BitVector) {
        var keys = SeededGenerator(seed: seed, stream: "alice")
        var channel = SeededGenerator(seed: seed, stream: "channel")
        let alice = BitVector(randomCount: length, using: &keys)
        var bob = alice
        for index in 0..<length where channel.nextBernoulli(qber) { bob.flip(index) }
        return (alice, bob)
    }

    /// Alice's frame (key at the key positions, nothing punctured or shortened beyond the plan's
    /// zeros), its syndrome, and Bob's channel LLRs for a noisy copy at `qber`.
    private func decoderInput(code: LDPCCode, qber: Double, seed: UInt64) -> (syndrome: [UInt8], llr: [Float]) {
        var generator = SeededGenerator(seed: seed, stream: "decoder-input")
        let frame = (0..<code.variableCount).map { _ in UInt8(truncatingIfNeeded: generator.next() & 1) }
        let channel = Float(QKDMath.naturalLog((1 - qber) / qber))
        let llr = frame.map { bit -> Float in
            let received = generator.nextBernoulli(qber) ? bit ^ 1 : bit
            return received == 1 ? -channel : channel
        }
        return (code.syndrome(ofFrame: frame), llr)
    }

    @Test func avx512AndPlainKernelsComputeTheSameFloats() throws {
        // On a CPU without AVX-512 both calls take the plain path and the test only checks
        // repeatability. One frame that decodes (1 % errors on the rate-0.85 code) and one that
        // cannot (8 %), warm-started once: the hard decisions and iteration counts must agree exactly.
        let code = try LDPCCodeCache.shared.code(try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: 0.02).code)
        for (qber, seed) in [(0.01, UInt64(3)), (0.08, UInt64(4))] {
            let (syndrome, llr) = decoderInput(code: code, qber: qber, seed: seed)
            let vectorised = LDPCDecoder(code: code)
            let plain = LDPCDecoder(code: code)
            for resume in [false, true] {
                let fast = vectorised.decode(channelLLR: llr, syndrome: syndrome, maximumIterations: 30, stallIterations: 0, resume: resume)
                let slow = plain.decode(channelLLR: llr, syndrome: syndrome, maximumIterations: 30, stallIterations: 0, resume: resume, allowAVX512: false)
                #expect(fast.satisfied == slow.satisfied && fast.iterations == slow.iterations)
                #expect(vectorised.hardDecision == plain.hardDecision)
                #expect(fast.satisfied == (qber < 0.05))
            }
        }
    }

    @Test func stalledAttemptsGiveUpEarly() throws {
        // 12 % errors on a code planned for 2 %: hopeless. With a stall limit of 5 the attempt
        // ends long before its 300-iteration budget; without one it runs the whole budget.
        let code = try LDPCCodeCache.shared.code(try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: 0.02).code)
        let (syndrome, llr) = decoderInput(code: code, qber: 0.12, seed: 11)
        let decoder = LDPCDecoder(code: code)
        let stalled = decoder.decode(channelLLR: llr, syndrome: syndrome, maximumIterations: 300, stallIterations: 5, resume: false)
        #expect(!stalled.satisfied && stalled.iterations < 100)
        let patient = decoder.decode(channelLLR: llr, syndrome: syndrome, maximumIterations: 300, stallIterations: 0, resume: false)
        #expect(!patient.satisfied && patient.iterations == 300)
        // A decodable frame is not cut short by the same stall limit.
        let (easySyndrome, easyLLR) = decoderInput(code: code, qber: 0.01, seed: 12)
        #expect(decoder.decode(channelLLR: easyLLR, syndrome: easySyndrome, maximumIterations: 300, stallIterations: 5, resume: false).satisfied)
    }

    @Test func constructionIsDeterministicAndFollowsTheDegreeProfile() throws {
        let identifier = try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: 0.02).code
        #expect(identifier.profileIndex == 7 && identifier.liftingFactor == 11)
        let code = try LDPCCodeCache.shared.code(identifier)
        let again = try LDPCQuasiCyclicConstruction.code(identifier)
        #expect(code.edgeVariable == again.edgeVariable && code.rowStart == again.rowStart && code.puncturingOrder == again.puncturingOrder)
        let profile = identifier.profile
        #expect(code.variableCount == 800 * 11 && code.checkCount == profile.baseCheckCount * 11)
        // Column degrees: the profile's histogram, each base column lifted 11 times.
        var columnDegree = [Int](repeating: 0, count: code.variableCount)
        for variable in code.edgeVariable { columnDegree[Int(variable)] += 1 }
        var histogram: [Int: Int] = [:]
        for degree in columnDegree { histogram[degree, default: 0] += 1 }
        for entry in profile.variableDegreeCounts { #expect(histogram[entry.degree] == entry.count * 11) }
        // Check degrees concentrated within one of each other; no column twice in a row.
        let rowDegrees = (0..<code.checkCount).map { Int(code.rowStart[$0 + 1] - code.rowStart[$0]) }
        #expect(rowDegrees.max()! - rowDegrees.min()! <= 1)
        for row in 0..<code.checkCount {
            let columns = code.edgeVariable[Int(code.rowStart[row])..<Int(code.rowStart[row + 1])]
            #expect(Set(columns).count == columns.count)
        }
        // Untainted: no check touches two symbols of the puncturing order.
        var isPuncturable = [Bool](repeating: false, count: code.variableCount)
        for variable in code.puncturingOrder { isPuncturable[Int(variable)] = true }
        let touches = (0..<code.checkCount).map { row in
            code.edgeVariable[Int(code.rowStart[row])..<Int(code.rowStart[row + 1])].filter { isPuncturable[Int($0)] }.count
        }
        #expect(touches.max()! <= 1)
        #expect(code.puncturingOrder.count > code.variableCount / 50)
    }

    @Test func reconcilesAtLowQBERAndCountsDisclosedBitsExactly() throws {
        // A generous start (f = 1.15) keeps the debug-build test to few decodings per frame.
        let reconciler = LDPCReconciler(adaptation: LDPCRateAdaptation(initialEfficiency: 1.15, efficiencyStep: 0.05))
        for seed: UInt64 in 1...3 {
            let (alice, bob) = noisyPair(length: blockSize, qber: 0.02, seed: seed)
            var randomness = SeededGenerator(seed: seed, stream: "punctured")
            let outcome = try reconciler.reconcile(alice: alice, bob: bob, estimatedQBER: 0.02, randomness: &randomness)
            #expect(outcome.succeeded)
            #expect(outcome.correctedKey == alice)
            let code = try LDPCCodeCache.shared.code(outcome.plan.code)
            #expect(outcome.disclosedBits == code.checkCount - outcome.plan.initialPuncturedCount + outcome.revealedBits)
            #expect(outcome.roundTrips == 1 + (outcome.revealedBits + outcome.plan.revealStep - 1) / outcome.plan.revealStep)
            // The first attempt discloses ceil(1.15 n h) bits unless the code cannot puncture enough;
            // no frame beats Shannon's limit.
            let entropy = Double(blockSize) * QKDMath.binaryEntropy(0.02)
            let firstAttempt = code.checkCount - outcome.plan.initialPuncturedCount
            let puncturable = min(outcome.plan.adaptingCount, code.puncturingOrder.count)
            #expect(firstAttempt == max(Int((1.15 * entropy).rounded(.up)), code.checkCount - puncturable))
            #expect(Double(outcome.disclosedBits) > entropy)
        }
    }

    @Test func reportsFailureWhenTheQBERIsFarAboveTheEstimate() throws {
        let (alice, bob) = noisyPair(length: blockSize, qber: 0.12, seed: 9)
        var randomness = SeededGenerator(seed: 9, stream: "punctured")
        // Large blind steps: few rounds before every punctured value is revealed.
        let reconciler = LDPCReconciler(adaptation: LDPCRateAdaptation(efficiencyStep: 0.1))
        let outcome = try reconciler.reconcile(alice: alice, bob: bob, estimatedQBER: 0.02, randomness: &randomness)
        #expect(!outcome.succeeded)
        #expect(outcome.correctedKey == nil)
        let code = try LDPCCodeCache.shared.code(outcome.plan.code)
        // The whole reveal budget spent, past the punctured symbols into key bits.
        #expect(outcome.plan.maximumRevealCount > outcome.plan.initialPuncturedCount)
        #expect(outcome.revealedBits == outcome.plan.maximumRevealCount)
        #expect(outcome.disclosedBits == code.checkCount - outcome.plan.initialPuncturedCount + outcome.plan.maximumRevealCount)
        #expect(outcome.roundTrips == 1 + outcome.plan.maximumRevealRounds)
    }

    @Test func blindRoundsRevealValuesAndBothSidesCountThem() throws {
        // Planned for 2 % but 5 % errors: the first attempt (f = 1.0 at 2 %) cannot succeed.
        let adaptation = LDPCRateAdaptation(initialEfficiency: 1.0, efficiencyStep: 0.05)
        let (alice, bob) = noisyPair(length: blockSize, qber: 0.05, seed: 5)
        let plan = try adaptation.plan(blockSize: blockSize, estimatedQBER: 0.02)
        var randomness = SeededGenerator(seed: 5, stream: "punctured")
        var aliceSide = try LDPCAlice(key: alice, plan: plan, randomness: &randomness)
        var bobSide = LDPCBob(key: bob)
        var reply = try bobSide.receive(aliceSide.syndromeMessage)
        guard case let .revealRequest(from, count) = reply else {
            Issue.record("Bob decoded a 5 % frame planned for 2 % at f = 1.0 without a blind round")
            return
        }
        #expect(from == 0 && count == plan.revealStep)
        let reveal = try #require(try aliceSide.receive(reply))
        guard case let .reveal(values) = reveal else {
            Issue.record("Alice did not answer a reveal request with values")
            return
        }
        #expect(values.count == count)
        #expect(aliceSide.disclosedBits == aliceSide.revealedBits + (try LDPCCodeCache.shared.code(plan.code)).checkCount - plan.initialPuncturedCount)
        reply = try bobSide.receive(reveal)
        #expect(bobSide.disclosedBits == aliceSide.disclosedBits)
        // A reveal of the wrong size is refused.
        if case .revealRequest = reply {
            #expect(throws: QKDError.self) { try bobSide.receive(.reveal(values: BitVector(count: 1))) }
        }
    }

    @Test func automaticStartFollowsTheSpreadOfTheThresholds() throws {
        let adaptation = LDPCRateAdaptation()
        // Longer blocks scatter less, so they start closer to the typical efficiency.
        for qber in [0.02, 0.07] {
            let short = adaptation.automaticInitialEfficiency(blockSize: 100_000, qber: qber)
            let long = adaptation.automaticInitialEfficiency(blockSize: 1_000_000, qber: qber)
            #expect(short > 1 && short < long && long < adaptation.typicalEfficiency(atQBER: qber))
        }
        // At n = 10^5, QBER 2 % the error count alone gives log2(49) sqrt(0.0196 / 10^5) / h(0.02) = 0.0176;
        // the code's part (3 / sqrt(10^5) = 0.0095) adds to it in quadrature.
        let spread = LDPCRateAdaptation.thresholdSpread(blockSize: 100_000, qber: 0.02)
        #expect(abs(spread - (0.0176 * 0.0176 + 0.0095 * 0.0095).squareRoot()) < 0.0005)
        // A short block scatters so much that the start is clamped to f = 1.
        #expect(adaptation.automaticInitialEfficiency(blockSize: 100, qber: 0.02) == 1)
        // The first attempt discloses ceil(start n h) bits, unless the code cannot puncture enough.
        let plan = try adaptation.plan(blockSize: blockSize, estimatedQBER: 0.02)
        let code = try LDPCCodeCache.shared.code(plan.code)
        let start = adaptation.automaticInitialEfficiency(blockSize: blockSize, qber: 0.02)
        let entropy = Double(blockSize) * QKDMath.binaryEntropy(0.02)
        let puncturable = min(plan.adaptingCount, code.puncturingOrder.count)
        #expect(code.checkCount - plan.initialPuncturedCount == max(Int((start * entropy).rounded(.up)), code.checkCount - puncturable))
        // The blind step is a tenth of the spread when that is above the 0.0025 floor, as at 8000 bits.
        let stepEfficiency = adaptation.typicalEfficiency(atQBER: 0.02) * LDPCRateAdaptation.thresholdSpread(blockSize: blockSize, qber: 0.02) / 10
        #expect(stepEfficiency > adaptation.efficiencyStep)
        #expect(plan.revealStep == Int((stepEfficiency * entropy).rounded(.up)))
        #expect(throws: QKDError.self) { try LDPCRateAdaptation(typicalEfficiency: 0.9).plan(blockSize: blockSize, estimatedQBER: 0.02) }
        #expect(throws: QKDError.self) { try LDPCRateAdaptation(startDeviations: -1).plan(blockSize: blockSize, estimatedQBER: 0.02) }
    }

    @Test func typicalEfficiencyFollowsTheMeasuredPointsOfTheQBER() throws {
        let points = LDPCRateAdaptation.measuredTypicalEfficiencies
        // Measured points: increasing QBERs the family serves, efficiencies between Shannon's
        // limit and the failure efficiency.
        for (lower, upper) in zip(points, points.dropFirst()) { #expect(lower.qber < upper.qber) }
        let defaults = LDPCRateAdaptation()
        for point in points {
            #expect(LDPCRateAdaptation.supportedQBER.contains(point.qber))
            #expect(point.efficiency > 1 && point.efficiency < defaults.failureEfficiency)
            #expect(LDPCRateAdaptation.measuredTypicalEfficiency(qber: point.qber) == point.efficiency)
        }
        // Linear in between, the end values outside.
        for (lower, upper) in zip(points, points.dropFirst()) {
            let middle = LDPCRateAdaptation.measuredTypicalEfficiency(qber: (lower.qber + upper.qber) / 2)
            #expect(abs(middle - (lower.efficiency + upper.efficiency) / 2) < 1e-12)
        }
        let lowest = LDPCRateAdaptation.supportedQBER.lowerBound, highest = LDPCRateAdaptation.supportedQBER.upperBound
        #expect(LDPCRateAdaptation.measuredTypicalEfficiency(qber: lowest) == points[0].efficiency)
        #expect(LDPCRateAdaptation.measuredTypicalEfficiency(qber: highest) == points[points.count - 1].efficiency)
        // Over the whole supported range, at 10^5 and 10^6 bits, the default start lies in
        // 1...maximumEfficiency, below the typical efficiency, and closer to it for the longer block.
        for step in 0...130 {
            let qber = max(lowest, Double(step) / 1000)
            let typical = defaults.typicalEfficiency(atQBER: qber)
            let short = defaults.automaticInitialEfficiency(blockSize: 100_000, qber: qber)
            let long = defaults.automaticInitialEfficiency(blockSize: 1_000_000, qber: qber)
            #expect(short >= 1 && short <= long && long <= defaults.maximumEfficiency)
            #expect(long < typical || long == defaults.maximumEfficiency)
        }
        // An explicit typical efficiency overrides the measured one at every QBER.
        let fixed = LDPCRateAdaptation(typicalEfficiency: 1.09)
        #expect(fixed.typicalEfficiency(atQBER: 0.01) == 1.09 && fixed.typicalEfficiency(atQBER: 0.07) == 1.09)
        #expect(fixed.automaticInitialEfficiency(blockSize: 100_000, qber: 0.02) != defaults.automaticInitialEfficiency(blockSize: 100_000, qber: 0.02))
        // The plan is a function of what both ends know (block size, estimated QBER): two
        // separately made settings derive the same plan, whose first attempt starts at the
        // measured typical efficiency's start.
        for qber in [0.02, 0.07] {
            let plan = try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: qber)
            #expect(plan == (try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: qber)))
            let code = try LDPCCodeCache.shared.code(plan.code)
            let entropy = Double(blockSize) * QKDMath.binaryEntropy(qber)
            let start = defaults.automaticInitialEfficiency(blockSize: blockSize, qber: qber)
            let puncturable = min(plan.adaptingCount, code.puncturingOrder.count)
            #expect(code.checkCount - plan.initialPuncturedCount == max(Int((start * entropy).rounded(.up)), code.checkCount - puncturable))
        }
    }

    @Test func refusesBadInput() throws {
        let reconciler = LDPCReconciler()
        #expect(throws: QKDError.self) {
            try reconciler.reconcile(alice: BitVector(count: 1000), bob: BitVector(count: 999), estimatedQBER: 0.02)
        }
        #expect(throws: QKDError.self) {
            try reconciler.reconcile(alice: BitVector(count: 1000), bob: BitVector(count: 1000), estimatedQBER: 0.3)
        }
        let plan = try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: 0.02)
        var bob = LDPCBob(key: BitVector(count: blockSize - 1))
        #expect(throws: QKDError.self) { try bob.receive(.syndrome(plan: plan, syndrome: BitVector(count: 10))) }
        var rightLength = LDPCBob(key: BitVector(count: blockSize))
        #expect(throws: QKDError.self) { try rightLength.receive(.syndrome(plan: plan, syndrome: BitVector(count: 10))) }
        #expect(throws: QKDError.self) { try rightLength.receive(.reveal(values: BitVector(count: 3))) }
        // A plan naming an unknown profile or an absurd code size (as a tampered message might).
        #expect(throws: QKDError.self) {
            try LDPCFramePlan(code: LDPCCode.Identifier(profileIndex: 9, liftingFactor: 11, seed: 1), blockSize: 8000, initialPuncturedCount: 0, revealStep: 1, maximumRevealCount: 0, qber: 0.02)
        }
        #expect(throws: QKDError.self) {
            try LDPCFramePlan(code: LDPCCode.Identifier(profileIndex: 7, liftingFactor: 1 << 30, seed: 1), blockSize: 8000, initialPuncturedCount: 0, revealStep: 1, maximumRevealCount: 0, qber: 0.02)
        }
        #expect(throws: QKDError.self) {
            try LDPCFramePlan(code: plan.code, blockSize: blockSize, initialPuncturedCount: plan.adaptingCount + 1, revealStep: 1, maximumRevealCount: 0, qber: 0.02)
        }
        var randomness = SeededGenerator(seed: 1)
        var alice = try LDPCAlice(key: BitVector(count: blockSize), plan: plan, randomness: &randomness)
        #expect(throws: QKDError.self) { try alice.receive(.revealRequest(from: 1, count: 1)) }
        #expect(throws: QKDError.self) { try alice.receive(.revealRequest(from: 0, count: plan.maximumRevealCount + 1)) }
    }
}
