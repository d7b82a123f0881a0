@testable import Distillation
import QKDCore
import Testing

@Suite struct CascadeAliceTests {
    private let parameters = CascadeParameters(passCount: 4, spreadsFirstPassBlocks: false, permutationSeed: 42)

    private func makeAlice(length: Int = 300) throws -> (CascadeAlice, BitVector) {
        var generator = SeededGenerator(seed: 11)
        let key = BitVector(randomCount: length, using: &generator)
        return (try CascadeAlice(referenceKey: key, estimatedQBER: 0.05, parameters: parameters), key)
    }

    /// A key of `length` bits, its copy with errors at 7 % and the tuned settings there, which
    /// rank the second pass.
    private func rankedCase(length: Int, seed: UInt64, permutationSeed: UInt64) -> (key: BitVector, noisy: BitVector, parameters: CascadeParameters) {
        var generator = SeededGenerator(seed: seed)
        let (key, noisy) = CascadeRun.keyPair(length: length, qber: 0.07, using: &generator)
        let parameters = CascadeParameters.tuned(forQBER: 0.07, blockSize: length, permutationSeed: permutationSeed)
        #expect(parameters.ranksSecondPassByErrorLikelihood)
        return (key, noisy, parameters)
    }

    @Test func answersParitiesInPermutedOrder() throws {
        var (alice, key) = try makeAlice()
        // Pass 1 is the one growing pass: here a uniformly random permutation.
        let permutation = CascadePermutation(length: key.count, seed: 42, pass: 1, includeInverse: false)
        let queries = [
            CascadeParityQuery(pass: 0, start: 0, end: 300),
            CascadeParityQuery(pass: 0, start: 17, end: 18),
            CascadeParityQuery(pass: 1, start: 5, end: 77),
        ]
        let response = try alice.respond(to: .parityRequest(keyLength: 300, queries: queries))
        guard case .parityResponse(let parities) = response else {
            Issue.record("Alice did not answer with a parity response")
            return
        }
        var expectedPass2Parity = false
        for position in 5..<77 where key[permutation.originalIndex(atPosition: position)] {
            expectedPass2Parity.toggle()
        }
        #expect(parities.count == 3)
        #expect(parities[0] == key.parity)
        #expect(parities[1] == key[17])
        #expect(parities[2] == expectedPass2Parity)
        #expect(alice.disclosedBits == 3)
    }

    /// With the second pass ranked, Alice's key in it is in ranked order. A request no honest
    /// Bob sends, whose ranges cover several whole second-pass blocks (and a first-pass
    /// range ending at the key's end), must still be answered consistently: ranking keeps every
    /// bit in its block, so a run of whole blocks has the parity of the bits the unranked order
    /// puts there.
    @Test func answersRangesOverManyRankedBlocks() throws {
        let length = 4096
        let (key, noisy, parameters) = rankedCase(length: length, seed: 12, permutationSeed: 9)
        var alice = try CascadeAlice(referenceKey: key, estimatedQBER: 0.07, parameters: parameters)
        var bob = try CascadeBob(noisyKey: noisy, estimatedQBER: 0.07, parameters: parameters)
        var request: CascadeMessage? = try bob.start()
        while let message = request { request = try bob.receive(try alice.respond(to: message)) }
        #expect(bob.correctedKey == key)
        let secondBlockSize = parameters.blockSize(pass: 1, keyLength: length, estimatedQBER: 0.07)
        let unranked = CascadeInterleaver.order(
            length: length, firstBlockSize: parameters.blockSize(pass: 0, keyLength: length, estimatedQBER: 0.07),
            blockSize: secondBlockSize, generator: SeededGenerator(seed: 9, stream: "cascade-interleave-1"))
        func parity(ofUnrankedPositions positions: Range<Int>) -> Bool {
            positions.reduce(false) { $0 != key[Int(unranked[$1])] }
        }
        let queries = [
            CascadeParityQuery(pass: 1, start: 0, end: length),
            CascadeParityQuery(pass: 1, start: secondBlockSize, end: 4 * secondBlockSize),
            CascadeParityQuery(pass: 0, start: length - 5, end: length),
        ]
        guard case .parityResponse(let parities) = try alice.respond(to: .parityRequest(keyLength: length, queries: queries)) else {
            Issue.record("Alice did not answer with a parity response")
            return
        }
        #expect(parities[0] == key.parity)
        #expect(parities[1] == parity(ofUnrankedPositions: secondBlockSize..<(4 * secondBlockSize)))
        #expect(parities[2] == (length - 5..<length).reduce(false) { $0 != key[$1] })

        // Before the second pass is ranked, Alice records the split of every first-pass query
        // after the first request; one ending at the key's end splits nothing and is answered.
        var fresh = try CascadeAlice(referenceKey: key, estimatedQBER: 0.07, parameters: parameters)
        for _ in 0..<2 {
            guard case .parityResponse(let tail) = try fresh.respond(to: .parityRequest(keyLength: length, queries: [queries[2]])) else {
                Issue.record("Alice did not answer with a parity response")
                return
            }
            #expect(tail[0] == parities[2])
        }
    }

    @Test(arguments: [
        CascadeParityQuery(pass: 4, start: 0, end: 10),
        CascadeParityQuery(pass: -1, start: 0, end: 10),
        CascadeParityQuery(pass: 1, start: -1, end: 10),
        CascadeParityQuery(pass: 1, start: 290, end: 301),
        CascadeParityQuery(pass: 1, start: 20, end: 20),
        CascadeParityQuery(pass: 1, start: 30, end: 20),
    ])
    func badQueryThrowsAndDisclosesNothing(query: CascadeParityQuery) throws {
        var (alice, _) = try makeAlice()
        let valid = CascadeParityQuery(pass: 0, start: 0, end: 10)
        let error = #expect(throws: QKDError.self) {
            try alice.respond(to: .parityRequest(keyLength: 300, queries: [valid, query]))
        }
        #expect(error?.code == .malformedInput)
        #expect(error?.message.contains("query 1") == true)
        #expect(alice.disclosedBits == 0)
    }

    /// `answer(_:keyLength:into:)`, the in-process exchange, writes the parities a response
    /// carries and checks queries as `respond(to:)` does.
    @Test func answeringInProcessMatchesResponding() throws {
        var (alice, _) = try makeAlice()
        var (responder, _) = try makeAlice()
        let queries = [
            CascadeParityQuery(pass: 0, start: 0, end: 10), CascadeParityQuery(pass: 1, start: 5, end: 77),
            CascadeParityQuery(pass: 2, start: 0, end: 300),
        ]
        var words = [UInt64.max, UInt64.max]
        try alice.answer(queries, keyLength: 300, into: &words)
        guard case .parityResponse(let parities) = try responder.respond(to: .parityRequest(keyLength: 300, queries: queries)) else {
            Issue.record("Alice did not answer with a parity response")
            return
        }
        #expect(words == parities.words)
        #expect(words.count == 1 && words[0] >> 3 == 0)
        #expect(alice.disclosedBits == 3)
        let error = #expect(throws: QKDError.self) {
            try alice.answer([queries[0], CascadeParityQuery(pass: 1, start: 290, end: 301)], keyLength: 300, into: &words)
        }
        #expect(error?.message.contains("query 1") == true)
        #expect(throws: QKDError.self) { try alice.answer(queries, keyLength: 299, into: &words) }
        #expect(throws: QKDError.self) { try alice.answer([], keyLength: 300, into: &words) }
        #expect(alice.disclosedBits == 3)
    }

    /// `answer(_:keyLength:)`, one query at a time in process, answers as one-query requests
    /// do, through a whole ranked run and through a made-up sequence that asks many first-pass
    /// stretches alone: the stretches it records and the ranking the first later-pass query
    /// triggers must be the same, or the parities would differ. Its errors are those of a
    /// request, and disclose nothing.
    @Test func answeringOneQueryMatchesOneQueryRequests() throws {
        let length = 2048
        let (key, noisy, parameters) = rankedCase(length: length, seed: 13, permutationSeed: 5)
        var single = try CascadeAlice(referenceKey: key, estimatedQBER: 0.07, parameters: parameters)
        var responder = try CascadeAlice(referenceKey: key, estimatedQBER: 0.07, parameters: parameters)
        var bob = try CascadeBob(noisyKey: noisy, estimatedQBER: 0.07, parameters: parameters)
        var request: CascadeMessage? = try bob.start()
        var singleAnswers = 0
        while let message = request {
            guard case .parityRequest(_, let queries) = message,
                  case .parityResponse(let parities) = try responder.respond(to: message) else {
                Issue.record("not a request and its response")
                return
            }
            if queries.count == 1 {
                #expect(try single.answer(queries[0], keyLength: length) == parities[0])
                singleAnswers += 1
            } else {
                var words: [UInt64] = []
                try single.answer(queries, keyLength: length, into: &words)
                #expect(words == parities.words)
            }
            request = try bob.receive(.parityResponse(parities: parities))
        }
        #expect(bob.correctedKey == key)
        #expect(singleAnswers > 100)
        #expect(single.disclosedBits == responder.disclosedBits)
        // A run asks first-pass stretches one at a time only rarely before the ranking; here
        // many are, so that a stretch left unrecorded would change the ranking: then prefixes of
        // every second-pass block, the first of which ranks the pass.
        var fresh = try CascadeAlice(referenceKey: key, estimatedQBER: 0.07, parameters: parameters)
        var freshResponder = try CascadeAlice(referenceKey: key, estimatedQBER: 0.07, parameters: parameters)
        let firstRequest = [CascadeParityQuery(pass: 0, start: 0, end: 16), CascadeParityQuery(pass: 1, start: 0, end: 64)]
        _ = try freshResponder.respond(to: .parityRequest(keyLength: length, queries: firstRequest))
        var firstWords: [UInt64] = []
        try fresh.answer(firstRequest, keyLength: length, into: &firstWords)
        var synthetic: [CascadeParityQuery] = []
        for blockStart in stride(from: 0, to: length, by: 48) {
            synthetic += [8, 4].map { CascadeParityQuery(pass: 0, start: blockStart, end: blockStart + $0) }
        }
        for blockStart in stride(from: 0, to: length, by: 64) {
            synthetic += [1, 5, 17, 33].map { CascadeParityQuery(pass: 1, start: blockStart, end: blockStart + $0) }
        }
        var differing = 0
        for query in synthetic {
            guard case .parityResponse(let parities) = try freshResponder.respond(to: .parityRequest(keyLength: length, queries: [query])) else {
                Issue.record("not a parity response")
                return
            }
            if try fresh.answer(query, keyLength: length) != parities[0] { differing += 1 }
        }
        #expect(differing == 0)
        let disclosed = single.disclosedBits
        let error = #expect(throws: QKDError.self) { try single.answer(CascadeParityQuery(pass: 99, start: 0, end: 1), keyLength: length) }
        #expect(error?.message.contains("query 0") == true)
        #expect(throws: QKDError.self) { try single.answer(CascadeParityQuery(pass: 0, start: 5, end: 5), keyLength: length) }
        #expect(throws: QKDError.self) { try single.answer(CascadeParityQuery(pass: 0, start: 0, end: 1), keyLength: length - 1) }
        #expect(single.disclosedBits == disclosed)
    }

    @Test func wrongMessagesThrow() throws {
        var (alice, _) = try makeAlice()
        #expect(throws: QKDError.self) { try alice.respond(to: .parityResponse(parities: BitVector(count: 1))) }
        #expect(throws: QKDError.self) { try alice.respond(to: .parityRequest(keyLength: 300, queries: [])) }
        #expect(throws: QKDError.self) {
            try alice.respond(to: .parityRequest(keyLength: 301, queries: [CascadeParityQuery(pass: 0, start: 0, end: 1)]))
        }
    }

    @Test func emptyKeyThrows() {
        #expect(throws: QKDError.self) { try CascadeAlice(referenceKey: BitVector(count: 0), estimatedQBER: 0.05, parameters: parameters) }
    }
}
