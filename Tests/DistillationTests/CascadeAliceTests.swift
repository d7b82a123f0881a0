import Distillation
import QKDCore
import Testing

@Suite struct CascadeAliceTests {
    private let parameters = CascadeParameters(passCount: 4, spreadsFirstPassBlocks: false, permutationSeed: 42)

    private func makeAlice(length: Int = 300) throws -> (CascadeAlice, BitVector) {
        var generator = SeededGenerator(seed: 11)
        let key = BitVector(randomCount: length, using: &generator)
        return (try CascadeAlice(referenceKey: key, estimatedQBER: 0.05, parameters: parameters), key)
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
