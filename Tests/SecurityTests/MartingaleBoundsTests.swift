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

    /// Coverage: for binomial counts with known expectation, the bounds may fail with probability
    /// at most ε. With ε = 0.01 and 2 000 trials, a correct bound fails at most ~20 times on
    /// average; we allow 40 (beyond 4 standard deviations).
    @Test func boundsHoldWithTheirStatedProbability() {
        let bounds = MartingaleBounds()
        var generator = SeededGenerator(seed: 77)
        let trials = 2_000, n = 2_000, p = 0.05
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
    /// On a block shaped like the reference link's (2e11 pulses, 8e5 sifted bits), the Chernoff
    /// form keeps key where Azuma-Hoeffding, whose deviation grows with the pulses, keeps none.
    @Test func chernoffBeatsAzumaOnLongLossyBlocks() throws {
        let counts = try ThreeStateCounts(pulses: 213_411_070_000, counts: [
            [373_000, 27_600, 199_000, 199_000], [27_300, 373_500, 199_000, 199_000], [199_000, 199_000, 360_000, 38_300],
        ])
        let protocolDescription = try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085)
        let security = try SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9)
        let chernoff = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security).secretKey(counts: counts, leakage: 300_000)
        let azuma = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, inequality: .azumaHoeffding)
            .secretKey(counts: counts, leakage: 300_000)
        #expect(chernoff.secretBits > 0)
        #expect(azuma.secretBits == 0)
        #expect(azuma.phaseErrorsUpper > chernoff.phaseErrorsUpper)
    }
}
