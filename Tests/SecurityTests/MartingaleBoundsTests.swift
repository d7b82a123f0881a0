import QKDCore
import Security
import Testing

@Suite struct MartingaleBoundsTests {
    @Test func boundsBracketTheObservation() {
        let bounds = MartingaleBounds()
        for count in [0.0, 10, 1_000, 1e6] {
            #expect(bounds.upperExpectation(observed: count, epsilon: 1e-10) > count)
            #expect(bounds.lowerExpectation(observed: count, epsilon: 1e-10) < max(count, 1e-9))
            #expect(bounds.upperCount(expectation: count, epsilon: 1e-10) > count)
        }
        let asymptotic = MartingaleBounds(deviations: false)
        #expect(asymptotic.upperExpectation(observed: 500, epsilon: 1e-10) == 500)
    }

    /// The deviation at 10^6 counts and ε = 10^-10 should be close to the Gaussian-like
    /// sqrt(2 n ln(grid/ε)) (within 10 %): the bound is tight, not merely valid.
    @Test func deviationHasTheExpectedScale() {
        let bounds = MartingaleBounds()
        let n = 1e6
        let deviation = bounds.upperExpectation(observed: n, epsilon: 1e-10) - n
        let scale = (2 * n * QKDMath.naturalLog(48 / 1e-10)).squareRoot()
        #expect(deviation > 0.9 * scale && deviation < 1.1 * scale, "deviation \(deviation), scale \(scale)")
    }

    /// Kato's inequality at its limits (rounds n = 2e11, as on the reference link): for rare
    /// events (S = 1e6 << n) the best a gives the Chernoff scale sqrt(2 S ln(grid/ε)) (within
    /// 10 %); for S = n/2 the a-term vanishes and the bound is Azuma-Hoeffding's
    /// sqrt(n ln(grid/ε)/2) (within 1 %, the grid's smallest a is 1e-7 √n); and for rare events
    /// it is far below Azuma-Hoeffding's sqrt(n ln(1/ε)/2).
    @Test func katoLimits() {
        let n = 2e11, epsilon = 1e-10, l = QKDMath.naturalLog(48 / epsilon)
        let kato = MartingaleBounds(inequality: .kato, rounds: n)
        let azuma = MartingaleBounds(inequality: .azumaHoeffding, rounds: n)
        let rare = 1e6
        let chernoffScale = (2 * rare * l).squareRoot()
        for deviation in [kato.upperExpectation(observed: rare, epsilon: epsilon) - rare,
                          rare - kato.lowerExpectation(observed: rare, epsilon: epsilon),
                          kato.upperCount(expectation: rare, epsilon: epsilon) - rare] {
            #expect(deviation > 0.9 * chernoffScale && deviation < 1.1 * chernoffScale, "deviation \(deviation), scale \(chernoffScale)")
            #expect(deviation < 0.01 * (azuma.upperExpectation(observed: rare, epsilon: epsilon) - rare))
        }
        let half = n / 2
        let azumaScale = (n * l / 2).squareRoot()
        let dense = kato.upperExpectation(observed: half, epsilon: epsilon) - half
        #expect(dense >= azumaScale * 0.999 && dense < azumaScale * 1.01, "deviation \(dense), Azuma \(azumaScale)")
        #expect(MartingaleBounds(deviations: false, inequality: .kato, rounds: n).upperCount(expectation: 7, epsilon: epsilon) == 7)
    }

    /// Coverage: for binomial counts with known expectation (n = 2 000 rounds, p = 0.05, and a
    /// rare p = 0.002 for Kato), the bounds may fail with probability at most ε. With ε = 0.01
    /// and 2 000 trials, a correct bound fails at most ~20 times on average; we allow 40 (beyond
    /// 4 standard deviations).
    @Test(arguments: [(MartingaleBounds.Inequality.chernoff, 0.05, 77), (.kato, 0.05, 78), (.kato, 0.002, 78)])
    func boundsHoldWithTheirStatedProbability(inequality: MartingaleBounds.Inequality, p: Double, seed: UInt64) {
        let n = 2_000, trials = 2_000
        let bounds = MartingaleBounds(inequality: inequality, rounds: Double(n))
        var generator = SeededGenerator(seed: seed)
        var upperFailures = 0, lowerFailures = 0, countFailures = 0
        for _ in 0..<trials {
            var count = 0.0
            for _ in 0..<n where generator.nextBernoulli(p) { count += 1 }
            let expectation = Double(n) * p
            if bounds.upperExpectation(observed: count, epsilon: 0.01) < expectation { upperFailures += 1 }
            if bounds.lowerExpectation(observed: count, epsilon: 0.01) > expectation { lowerFailures += 1 }
            if bounds.upperCount(expectation: expectation, epsilon: 0.01) < count { countFailures += 1 }
        }
        #expect(upperFailures <= 40)
        #expect(lowerFailures <= 40)
        #expect(countFailures <= 40)
    }

    @Test func repeaterlessBoundMatchesPLOB() {
        #expect(abs(RepeaterlessBound.bitsPerChannelUse(lossDb: 10) - (-QKDMath.log2Of(0.9))) < 1e-12)
        #expect(abs(RepeaterlessBound.bitsPerChannelUse(lossDb: 23.472) - 0.0065006) < 1e-6, "120 km of the reference fibre")
    }
}

@Suite struct ConcentrationChoiceTests {
    /// On a block of the reference link (the counts of examples/paper-120km-block.json: 2e11
    /// pulses, 8e5 sifted bits), the Chernoff form keeps key where Azuma-Hoeffding, whose
    /// deviation grows with the pulses, keeps none.
    @Test func chernoffBeatsAzumaOnLongLossyBlocks() throws {
        let counts = try ThreeStateCounts(pulses: 213_411_070_000, counts: [
            [368_320, 32_627, 189_132, 189_253], [21_386, 379_115, 183_308, 183_692], [801_750, 0, 675_157, 71_345],
        ])
        let protocolDescription = try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085)
        let security = try SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9)
        let chernoff = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security).secretKey(counts: counts, leakage: 301_668)
        let azuma = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, inequality: .azumaHoeffding)
            .secretKey(counts: counts, leakage: 301_668)
        let kato = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, inequality: .kato)
            .secretKey(counts: counts, leakage: 301_668)
        #expect(chernoff.secretBits > 0)
        #expect(azuma.secretBits == 0)
        #expect(azuma.phaseErrorsUpper > chernoff.phaseErrorsUpper)
        #expect(kato.secretBits > 0)
        #expect(abs(Double(kato.secretBits - chernoff.secretBits)) < 0.01 * Double(chernoff.secretBits), "Kato and Chernoff agree to 1 %")
    }
}
