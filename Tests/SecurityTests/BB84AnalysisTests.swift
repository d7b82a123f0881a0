import QKDCore
import Security
import Testing

/// Expected BB84 counts (four states) of a simple channel: yield `y` per pulse in each basis,
/// bit error `e` in both bases; states have probabilities p_Z/2, p_Z/2, p_X/2, p_X/2.
private func bb84Counts(pulses: Double, yield y: Double, error e: Double, pZ: Double = 0.5) throws -> ThreeStateCounts {
    func c(_ x: Double) -> UInt64 { UInt64(x.rounded()) }
    var table = [[UInt64]](repeating: [0, 0, 0, 0], count: 4)
    for state in 0..<4 {
        let sent = pulses * (state < 2 ? pZ / 2 : (1 - pZ) / 2)
        let sameBasis = state < 2 ? state : state          // result index of the right outcome
        let other = state < 2 ? 1 - state : 5 - state       // the wrong outcome in the same basis
        let crossBasis = state < 2 ? [2, 3] : [0, 1]
        table[state][sameBasis] = c(sent * y * (1 - e))
        table[state][other] = c(sent * y * e)
        for result in crossBasis { table[state][result] = c(sent * y / 2) }
    }
    return try ThreeStateCounts(pulses: UInt64(pulses), counts: table)
}

@Suite struct BB84AnalysisTests {
    let security = try! SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9)

    /// For BB84 the phase error is the X error, so asymptotically (yield 1e-3, far above the
    /// multi-photon probability 1.8e-7) its bound equals the 3 % X error to 0.1 %.
    @Test func singlePhotonPhaseErrorIsTheXError() throws {
        let counts = try bb84Counts(pulses: 4e9, yield: 1e-3, error: 0.03)
        #expect(counts.isFourState)
        #expect(abs(counts.qberX - 0.03) < 1e-6)
        let protocolDescription = try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085)
        let asymptotic = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, finiteSize: false)
            .secretKey(counts: counts, leakage: 0)
        #expect(abs(asymptotic.phaseErrorRateUpper - 0.03) < 0.001)
        let finite = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security)
            .secretKey(counts: counts, leakage: Int(1.1 * Double(counts.siftedZ) * QKDMath.binaryEntropy(0.03)))
        #expect(finite.secretBits > 0)
        #expect(finite.phaseErrorRateUpper > asymptotic.phaseErrorRateUpper)
    }

    /// At the same X error, BB84's direct phase-error estimate is at least as good as the
    /// three-state virtual-state estimate (which subtracts bounds of different cells).
    @Test func bb84IsNoWorseThanThreeStatesAtEqualErrors() throws {
        let protocolDescription = try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085)
        let engine = ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security)
        let four = try bb84Counts(pulses: 4e10, yield: 1e-4, error: 0.03)
        var rows = four.counts
        rows[2] = [rows[2][0] + rows[3][0], rows[2][1] + rows[3][1], rows[2][2] + rows[3][3], rows[2][3] + rows[3][2]]
        rows.removeLast()
        let three = try ThreeStateCounts(pulses: four.pulses, counts: rows)
        let leakage = Int(1.1 * Double(four.siftedZ) * QKDMath.binaryEntropy(0.03))
        #expect(try engine.secretKey(counts: four, leakage: leakage).secretBits >= engine.secretKey(counts: three, leakage: leakage).secretBits)
    }

    @Test func bb84WithDecoysGivesKeyAndZeroAtHighError() throws {
        let protocolDescription = try DecoyStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, intensities: [0.5, 0.1, 0.0002], intensityProbabilities: [0.6, 0.3, 0.1])
        func counts(error: Double) throws -> DecoyStateCounts {
            try DecoyStateCounts(perIntensity: zip(protocolDescription.intensities, protocolDescription.intensityProbabilities).map { mu, pk in
                try bb84Counts(pulses: 1e11 * pk, yield: 1 - QKDMath.exponential(-mu * 0.006 / 2) + 1e-7, error: error)
            })
        }
        let engine = DecoyStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security)
        let good = try counts(error: 0.02)
        #expect(try engine.secretKey(counts: good, leakage: Int(1.1 * Double(good.total.siftedZ) * QKDMath.binaryEntropy(0.02))).secretBits > 0)
        let bad = try counts(error: 0.15)
        #expect(try engine.secretKey(counts: bad, leakage: Int(1.1 * Double(bad.total.siftedZ) * QKDMath.binaryEntropy(0.15))).secretBits == 0)
    }
}

@Suite struct PublishedThresholdTests {
    /// Shor and Preskill, PRL 85, 441 (2000): with one-way error correction at the Shannon limit
    /// the asymptotic BB84 key rate 1 - 2h(e) vanishes at e = 11.0028 %. With leakage n h(e) and
    /// a vanishing multi-photon share (yield 1e-3 over g2 μ²/2 = 1.8e-7) the analysis must give key
    /// just below that error rate and none just above it.
    @Test(arguments: [(0.1095, true), (0.1105, false)])
    func shorPreskillThreshold(error: Double, expectKey: Bool) throws {
        let protocolDescription = try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085)
        let security = try SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9)
        var table = [[UInt64]](repeating: [0, 0, 0, 0], count: 4)
        let perState = 1e12 * 0.25 * 1e-3
        for state in 0..<4 {
            let right = state, wrong = state < 2 ? 1 - state : 5 - state
            table[state][right] = UInt64(perState * (1 - error))
            table[state][wrong] = UInt64(perState * error)
        }
        let counts = try ThreeStateCounts(pulses: 1_000_000_000_000, counts: table)
        let leakage = Int(Double(counts.siftedZ) * QKDMath.binaryEntropy(counts.qberZ))
        let bound = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, finiteSize: false)
            .secretKey(counts: counts, leakage: leakage)
        #expect((bound.secretBits > 0) == expectKey, "error \(error): \(bound.secretBits) bits")
    }
}

@Suite struct ThreeStateThresholdTests {
    /// Tamaki et al., PRA 90, 052314 (2014): with ideal states, the three-state protocol (|e>, |l>,
    /// |+>) reaches the same key rate as BB84, so its asymptotic threshold is also the
    /// Shor-Preskill 11.0028 %. Counts of an ideal channel with error e in both bases: the Z
    /// states' X results are even, |+> gives minus with probability e.
    @Test(arguments: [(0.1095, true), (0.1105, false)])
    func threeStateThresholdEqualsBB84(error: Double, expectKey: Bool) throws {
        let protocolDescription = try ThreeStateProtocol(zBasisProbability: 0.5, bobBasisRatio: 1, meanPhotonNumber: 0.0065, g2: 0.0085)
        let security = try SecurityParameters(epsilonCorrectness: 1e-15, epsilonSecrecy: 1e-9)
        let zState = 1e12 * 0.25 * 1e-3, plusState = 1e12 * 0.5 * 1e-3
        func c(_ x: Double) -> UInt64 { UInt64(x.rounded()) }
        let counts = try ThreeStateCounts(pulses: 1_000_000_000_000, counts: [
            [c(zState / 2 * (1 - error)), c(zState / 2 * error), c(zState / 4), c(zState / 4)],
            [c(zState / 2 * error), c(zState / 2 * (1 - error)), c(zState / 4), c(zState / 4)],
            [c(plusState / 4), c(plusState / 4), c(plusState / 2 * (1 - error)), c(plusState / 2 * error)],
        ])
        let leakage = Int(Double(counts.siftedZ) * QKDMath.binaryEntropy(counts.qberZ))
        let bound = try ThreeStateFiniteKeyAnalysis(protocolDescription: protocolDescription, security: security, finiteSize: false)
            .secretKey(counts: counts, leakage: leakage)
        #expect((bound.secretBits > 0) == expectKey, "error \(error): \(bound.secretBits) bits, phase \(bound.phaseErrorRateUpper)")
    }
}
