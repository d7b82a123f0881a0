import Distillation
import QKDCore
import Testing

/// `CascadeBob` against `ReferenceCascadeBob`, the same protocol written bit by bit: for the
/// same key, errors and parameters both must send the same requests, message by message, and
/// end with the same key, disclosed bits, round trips and corrections. The optimised Bob keeps
/// resumable searches, split passes updated only once reached and reused buffers; any of them
/// going stale shows up here as a different request (a Bob whose queries are not sorted, for
/// one, fails every suite here).
@Suite struct CascadeTranscriptTests {
    /// Runs Alice against the real and the reference Bob in lock step; returns the round trips.
    @discardableResult
    private func expectSameTranscript(
        length: Int, qber: Double, seed: UInt64, parameters: CascadeParameters
    ) throws -> Int {
        var generator = SeededGenerator(seed: seed, stream: "cascade-transcript")
        let (aliceKey, noisyKey) = CascadeRun.keyPair(length: length, qber: qber, using: &generator)
        var alice = try CascadeAlice(referenceKey: aliceKey, estimatedQBER: qber, parameters: parameters)
        var bob = try CascadeBob(noisyKey: noisyKey, estimatedQBER: qber, parameters: parameters)
        var reference = ReferenceCascadeBob(noisyKey: noisyKey, estimatedQBER: qber, parameters: parameters)
        var request: CascadeMessage? = try bob.start()
        var expected: CascadeMessage? = reference.start()
        var round = 0
        while let message = request {
            guard message == expected else {
                Issue.record("n \(length), QBER \(qber), seed \(seed): request \(round) differs from the reference")
                return round
            }
            let response = try alice.respond(to: message)
            request = try bob.receive(response)
            expected = reference.receive(response)
            round += 1
        }
        #expect(expected == nil, "n \(length), QBER \(qber), seed \(seed): the reference asks more")
        #expect(bob.correctedKey == BitVector(bits: reference.key))
        #expect(bob.disclosedBits == reference.disclosedBits && alice.disclosedBits == reference.disclosedBits)
        #expect(bob.roundTrips == reference.roundTrips)
        #expect(bob.correctedBitCount == reference.correctedBitCount)
        return round
    }

    @Test(arguments: [0.01, 0.02, 0.05, 0.07])
    func tunedParametersMatchTheReference(qber: Double) throws {
        var roundTrips = 0
        for seed in 0..<6 as Range<UInt64> {
            // The tuned setting, and the second pass ranked or not against it.
            var parameters = CascadeParameters.tuned(forQBER: qber, blockSize: 2500, permutationSeed: seed + 1)
            if seed >= 3 { parameters.ranksSecondPassByErrorLikelihood.toggle() }
            roundTrips += try expectSameTranscript(
                length: 2500 + Int(seed) * 97, qber: qber, seed: seed, parameters: parameters)
        }
        // Enough rounds that searches resume, defer and cascade across passes.
        #expect(roundTrips > 6 * 20)
    }

    @Test(arguments: [false, true])
    func everyPassSearchedAtOnceMatchesTheReference(spreads: Bool) throws {
        for seed in 10..<16 as Range<UInt64> {
            var parameters = CascadeParameters.tuned(forQBER: 0.04, blockSize: 3000, permutationSeed: seed)
            parameters.searchesLowestPassFirst = false
            parameters.spreadsFirstPassBlocks = spreads
            parameters.ranksSecondPassByErrorLikelihood = seed % 2 == 0
            try expectSameTranscript(length: 3000, qber: 0.04, seed: seed, parameters: parameters)
        }
    }

    @Test func severalGrowingPassesMatchTheReference() throws {
        for seed in 20..<26 as Range<UInt64> {
            let parameters = CascadeParameters(
                passCount: 9, blockSizeGrowthFactor: 2, growingPassCount: 3,
                spreadsFirstPassBlocks: seed % 2 == 0, searchesLowestPassFirst: seed % 3 != 0,
                ranksSecondPassByErrorLikelihood: seed % 4 < 2, permutationSeed: seed)
            try expectSameTranscript(length: 2048, qber: 0.06, seed: seed, parameters: parameters)
        }
    }

    @Test(arguments: [1, 2, 3, 63, 64, 65, 130, 257])
    func tinyKeysMatchTheReference(length: Int) throws {
        for seed in 0..<3 as Range<UInt64> {
            try expectSameTranscript(length: length, qber: 0.2, seed: seed, parameters: CascadeParameters(permutationSeed: seed))
            try expectSameTranscript(
                length: length, qber: 0.15, seed: seed + 100, parameters: CascadeParameters(passCount: 1, permutationSeed: seed))
            try expectSameTranscript(
                length: length, qber: 0.2, seed: seed + 200,
                parameters: CascadeParameters(ranksSecondPassByErrorLikelihood: true, permutationSeed: seed))
        }
    }
}
