import QKDCore
import Security
import Testing

/// Expected counts of a block of an ideal-ish link: X yield `y` per pulse for every state,
/// visibility `v`, Z errors `ez`, with `pulses` pulses.
private func counts(pulses: Double, yieldPerPulse y: Double = 1e-5, visibility v: Double = 0.87, zErrors ez: Double = 0.07, pZ: Double = 0.5) throws -> ThreeStateCounts {
    let pState = [pZ / 2, pZ / 2, 1 - pZ]
    func c(_ x: Double) -> UInt64 { UInt64(x.rounded()) }
    var table = [[UInt64]](repeating: [0, 0, 0, 0], count: 3)
    for state in 0..<2 {
        let z = pulses * pState[state] * y
        table[state][state] = c(z * (1 - ez))
        table[state][1 - state] = c(z * ez)
        table[state][2] = c(z / 2)
        table[state][3] = c(z / 2)
    }
    let x = pulses * pState[2] * y
    table[2][0] = c(x / 2)
    table[2][2] = c(x * (1 + v) / 2)
    table[2][3] = c(x * (1 - v) / 2)
    return try ThreeStateCounts(pulses: UInt64(pulses), counts: table)
}

private func analysis(finiteSize: Bool = true, pZ: Double = 0.5) throws -> ThreeStateFiniteKeyAnalysis {
    try ThreeStateFiniteKeyAnalysis(
        protocolDescription: ThreeStateProtocol(zBasisProbability: pZ, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085),
        security: SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9), finiteSize: finiteSize)
}

private func leakage(_ counts: ThreeStateCounts, f: Double = 1.15) -> Int {
    Int(f * Double(counts.siftedZ) * QKDMath.binaryEntropy(0.07)) + 122
}

@Suite struct ThreeStateFiniteKeyAnalysisTests {
    /// A block whose yield (1e-3) dwarfs the multi-photon probability (1.8e-7), so that
    /// asymptotically the phase error bound is the X-basis error (1 - v)/2 up to 0.1 %.
    @Test func referenceBlockGivesKeyBelowAsymptotic() throws {
        let block = try counts(pulses: 4e9, yieldPerPulse: 1e-3)
        let finite = try analysis().secretKey(counts: block, leakage: leakage(block))
        let asymptotic = try analysis(finiteSize: false).secretKey(counts: block, leakage: leakage(block))
        #expect(finite.secretBits > 0)
        #expect(finite.secretBits < asymptotic.secretBits)
        #expect(finite.phaseErrorRateUpper > asymptotic.phaseErrorRateUpper)
        #expect(abs(asymptotic.phaseErrorRateUpper - (1 - 0.87) / 2) < 0.001, "asymptotically the phase error is the X error")
    }

    /// The secret length is the formula of the type's documentation, recomputed here step by step.
    @Test func secretLengthIsTheDocumentedFormula() throws {
        let block = try counts(pulses: 4e11)
        let leak = leakage(block)
        let result = try analysis().secretKey(counts: block, leakage: leak)
        let h = QKDMath.binaryEntropy(result.phaseErrorRateUpper)
        let paCost = 2 * QKDMath.log2Of(1 / (2 * 1e-9 / 3))
        let expected = Int((result.untaggedZLower * (1 - h) - Double(leak) - paCost).rounded(.down))
        #expect(result.secretBits == expected)
        #expect(abs(result.phaseErrorRateUpper - result.phaseErrorsUpper / result.untaggedZLower) < 1e-12)
        #expect(result.untaggedZLower == Double(block.siftedZ) - result.taggedZUpper)
        #expect(result.taggedZUpper > 4e11 * 0.5 * 0.0085 * 0.0065 * 0.0065 / 2, "tagged bound exceeds its expectation")
    }

    @Test func noKeyWhenTheXErrorRateIsTooHigh() throws {
        let block = try counts(pulses: 4e11, visibility: 0.5)
        let result = try analysis().secretKey(counts: block, leakage: leakage(block))
        #expect(result.secretBits == 0)
        #expect(result.reasonForNoKey != nil)
        let random = try counts(pulses: 4e11, visibility: 0)
        let noisy = try analysis().secretKey(counts: random, leakage: 0)
        #expect(noisy.secretBits == 0)
        #expect(noisy.phaseErrorRateUpper == 0.5)
    }

    @Test func secretLengthNeverIncreasesWithLeakageOrErrors() throws {
        let engine = try analysis()
        var previous = Int.max
        for leak in stride(from: 0, through: 2_000_000, by: 100_000) {
            let bits = try engine.secretKey(counts: try counts(pulses: 4e11), leakage: leak).secretBits
            #expect(bits <= previous)
            previous = bits
        }
        previous = Int.max
        for visibility in stride(from: 1.0, through: 0.6, by: -0.02) {
            let block = try counts(pulses: 4e11, visibility: visibility)
            let bits = try engine.secretKey(counts: block, leakage: 100_000).secretBits
            #expect(bits <= previous, "visibility \(visibility)")
            previous = bits
        }
    }

    @Test func secretFractionGrowsWithBlockSize() throws {
        let engine = try analysis()
        var previousFraction = 0.0
        for pulses in [5e10, 1e11, 4e11, 1e12, 4e12] {
            let block = try counts(pulses: pulses)
            let bits = try engine.secretKey(counts: block, leakage: leakage(block)).secretBits
            let fraction = Double(bits) / pulses
            #expect(fraction >= previousFraction, "pulses \(pulses)")
            previousFraction = fraction
        }
    }

    /// Property test over random link parameters: the secret bits per pulse never exceed the
    /// repeaterless bound of the channel the counts came from.
    @Test func neverAboveTheRepeaterlessBound() throws {
        var generator = SeededGenerator(seed: 2024)
        for _ in 0..<200 {
            let lossDb = 60 * generator.nextUnitInterval()
            let eta = QKDMath.transmittance(lossDecibels: lossDb)
            let mu = 0.001 + 0.999 * generator.nextUnitInterval()
            let y = min(0.5, mu * eta)
            let visibility = 0.8 + 0.2 * generator.nextUnitInterval()
            let pulses = 1e6 + 1e11 * generator.nextUnitInterval()
            let block = try counts(pulses: pulses, yieldPerPulse: y, visibility: visibility, zErrors: 0.01)
            let engine = try ThreeStateFiniteKeyAnalysis(
                protocolDescription: ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: mu, g2: 0.01),
                security: SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9), finiteSize: false)
            let bits = try engine.secretKey(counts: block, leakage: 0).secretBits
            #expect(Double(bits) / pulses <= RepeaterlessBound.bitsPerChannelUse(lossDb: lossDb), "loss \(lossDb) dB, mu \(mu)")
        }
    }

    @Test func badInputIsRefused() throws {
        #expect(throws: QKDError.self) { try SecurityParameters(epsilonCorrectness: 0, epsilonSecrecy: 1e-9) }
        #expect(throws: QKDError.self) { try SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1.5) }
        #expect(throws: QKDError.self) { try ThreeStateCounts(pulses: 10, counts: [[5, 5, 5, 0], [0, 0, 0, 0], [0, 0, 0, 0]]) }
        #expect(throws: QKDError.self) { try ThreeStateCounts(pulses: 10, counts: [[1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]) }
        #expect(throws: QKDError.self) { try analysis().secretKey(counts: try counts(pulses: 1e9), leakage: -1) }
        #expect(throws: QKDError.self) { try ThreeStateProtocol(zBasisProbability: 1, bobBasisRatio: 1, meanPhotonNumber: 0.01, g2: 0.01) }
    }
}
