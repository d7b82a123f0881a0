import QKDCore
import Security
import Testing

/// Expected decoy-state counts of a simple time-bin link: per-photon transmittance `t` to a
/// click, half of the photons measured in each basis, misalignment `e` in Z and visibility `v`
/// in X, dark-count probability `d` per result, `pulses` pulses in all.
private func decoyCounts(_ protocolDescription: DecoyStateProtocol, pulses: Double, transmittance t: Double,
                         misalignment e: Double = 0.01, visibility v: Double = 0.98, dark d: Double = 1e-7) throws -> DecoyStateCounts {
    func c(_ x: Double) -> UInt64 { UInt64(x.rounded()) }
    let perIntensity = try zip(protocolDescription.intensities, protocolDescription.intensityProbabilities).map { mu, pk in
        let n = pulses * pk
        let half = 1 - QKDMath.exponential(-mu * t / 2)
        var table = [[UInt64]](repeating: [0, 0, 0, 0], count: 3)
        for state in 0..<3 {
            let sent = n * protocolDescription.stateProbability(state)
            if state < 2 {
                table[state][state] = c(sent * (half * (1 - e) + d))
                table[state][1 - state] = c(sent * (half * e + d))
                table[state][2] = c(sent * (half / 2 + d))
                table[state][3] = c(sent * (half / 2 + d))
            } else {
                table[2][0] = c(sent * (half / 2 + d))
                table[2][1] = c(sent * (half / 2 + d))
                table[2][2] = c(sent * (half * (1 + v) / 2 + d))
                table[2][3] = c(sent * (half * (1 - v) / 2 + d))
            }
        }
        return try ThreeStateCounts(pulses: UInt64(n), counts: table)
    }
    return try DecoyStateCounts(perIntensity: perIntensity)
}

private let security = try! SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9)

private func leakage(_ counts: DecoyStateCounts) -> Int {
    let total = counts.total
    return Int(1.1 * Double(total.siftedZ) * QKDMath.binaryEntropy(total.qberZ)) + 122
}

@Suite struct DecoyStateFiniteKeyAnalysisTests {
    let oneDecoy = try! DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.5, 0.1], intensityProbabilities: [0.7, 0.3])
    let twoDecoys = try! DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.5, 0.1, 0.0002], intensityProbabilities: [0.6, 0.3, 0.1])

    @Test func bothVariantsGiveKeyAt20dBBelowTheirAsymptote() throws {
        for protocolDescription in [oneDecoy, twoDecoys] {
            let counts = try decoyCounts(protocolDescription, pulses: 1e11, transmittance: 0.01 * 0.6)
            let finite = try DecoyStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security).secretKey(counts: counts, leakage: leakage(counts))
            let asymptotic = try DecoyStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, finiteSize: false)
                .secretKey(counts: counts, leakage: leakage(counts))
            #expect(finite.secretBits > 0, "\(protocolDescription.intensities): \(finite.reasonForNoKey ?? "")")
            #expect(finite.secretBits < asymptotic.secretBits)
            #expect(finite.singlePhotonZLower < asymptotic.singlePhotonZLower)
            #expect(Double(finite.secretBits) / 1e11 < RepeaterlessBound.bitsPerChannelUse(lossDb: 20))
        }
    }

    /// Asymptotically the decoy bounds are nearly tight: with a vacuum decoy, the single-photon Z
    /// bits are within 5 % of the exact expectation Σ_k p_k e^{-μ_k} μ_k Y_1 (Lim's bound drops the
    /// multi-photon part of the weak decoy, a gap of order μ2 = 0.1).
    @Test func asymptoticSinglePhotonBoundIsNearlyExact() throws {
        let t = 0.006, d = 1e-7
        let counts = try decoyCounts(twoDecoys, pulses: 1e11, transmittance: t, dark: d)
        let result = try DecoyStateFiniteKeyAnalysis(protocolDescription: twoDecoys, security: security, finiteSize: false)
            .secretKey(counts: counts, leakage: 0)
        let yieldZ = (1 - QKDMath.exponential(-t / 2)) + 2 * d
        let exact = zip(twoDecoys.intensities, twoDecoys.intensityProbabilities).reduce(0.0) { total, pair in
            total + 1e11 * pair.1 * 0.5 * pair.0 * QKDMath.exponential(-pair.0) * yieldZ
        }
        #expect(result.singlePhotonZLower <= exact * 1.001)
        #expect(result.singlePhotonZLower > 0.95 * exact, "bound \(result.singlePhotonZLower), exact \(exact)")
    }

    @Test func noKeyAtLowVisibilityOrHighLoss() throws {
        let engine = DecoyStateFiniteKeyAnalysis(protocolDescription: oneDecoy, security: security)
        let blurred = try decoyCounts(oneDecoy, pulses: 1e11, transmittance: 0.006, visibility: 0.5)
        #expect(try engine.secretKey(counts: blurred, leakage: leakage(blurred)).secretBits == 0)
        let far = try decoyCounts(oneDecoy, pulses: 1e11, transmittance: 1e-6, dark: 1e-6)
        let result = try engine.secretKey(counts: far, leakage: leakage(far))
        #expect(result.secretBits == 0)
        #expect(result.reasonForNoKey != nil)
    }

    @Test func secretLengthNeverIncreasesWithLeakage() throws {
        let engine = DecoyStateFiniteKeyAnalysis(protocolDescription: twoDecoys, security: security)
        let counts = try decoyCounts(twoDecoys, pulses: 1e11, transmittance: 0.006)
        var previous = Int.max
        for leak in stride(from: 0, through: 4_000_000, by: 250_000) {
            let bits = try engine.secretKey(counts: counts, leakage: leak).secretBits
            #expect(bits <= previous)
            previous = bits
        }
    }

    /// Property test: over random losses, intensities and block sizes, the asymptotic and the
    /// finite-key rates stay below the repeaterless bound of the channel.
    @Test func neverAboveTheRepeaterlessBound() throws {
        var generator = SeededGenerator(seed: 31)
        for _ in 0..<100 {
            let lossDb = 50 * generator.nextUnitInterval()
            let mu1 = 0.2 + 0.6 * generator.nextUnitInterval()
            let protocolDescription = try DecoyStateProtocol(
                zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [mu1, mu1 * 0.2], intensityProbabilities: [0.7, 0.3])
            let pulses = 1e8 + 1e11 * generator.nextUnitInterval()
            let counts = try decoyCounts(protocolDescription, pulses: pulses, transmittance: QKDMath.transmittance(lossDecibels: lossDb))
            for finite in [true, false] {
                let bits = try DecoyStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, finiteSize: finite)
                    .secretKey(counts: counts, leakage: leakage(counts)).secretBits
                #expect(Double(bits) / pulses <= RepeaterlessBound.bitsPerChannelUse(lossDb: lossDb), "loss \(lossDb) dB")
            }
        }
    }

    @Test func impossibleProtocolsAreRefused() {
        #expect(throws: QKDError.self) { try DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.1, 0.5], intensityProbabilities: [0.5, 0.5]) }
        #expect(throws: QKDError.self) { try DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.5, 0.3, 0.25], intensityProbabilities: [0.4, 0.3, 0.3]) }
        #expect(throws: QKDError.self) { try DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.5, 0.1], intensityProbabilities: [0.5, 0.6]) }
        #expect(throws: QKDError.self) { try DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.5], intensityProbabilities: [1]) }
        #expect(throws: QKDError.self) { try DecoyStateCounts(perIntensity: [.zero]) }
    }
}
