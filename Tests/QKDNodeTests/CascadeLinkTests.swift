import Distillation
import LinkProtocol
import QKDCore
import QKDNode
import Testing

/// Bad Cascade input over the real codec costs only the block it concerns: that block is
/// discarded on both sides with a clear error, the other blocks carry on, and nothing of the
/// discarded block is delivered.
@Suite struct CascadeLinkTests {
    @Test func aParityResponseOfTheWrongLengthDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .cascade), seed: 4)
        var tampered = false
        link.tamper = { message, _, _ in
            guard !tampered, case .cascade(1, .parityResponse(let parities)) = message else { return nil }
            tampered = true
            let shortened = BitVector(bits: (0..<(parities.count - 1)).map { parities[$0] })
            return LinkMessageCodec().encode(.cascade(blockID: 1, .parityResponse(parities: shortened)))
        }
        try link.run(seconds: 4)
        let discarded = try #require(link.bob.reports.first { $0.blockID == 1 })
        #expect(discarded.method == .cascade && !discarded.verified && discarded.keysStored == 0)
        #expect(discarded.discardReason?.hasPrefix("block 1: Cascade response carries") == true, "\(discarded)")
        #expect(link.bobErrors.count == 1 && link.bobErrors[0] == discarded.discardReason, "\(link.bobErrors)")
        #expect(link.aliceErrors == ["Bob discarded block 1: \(link.bobErrors[0])"])
        link.expectOtherBlocksUntouched(except: 1, method: .cascade)
    }

    @Test func aRequestForADifferentKeyLengthDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .cascade), seed: 4)
        link.tamper = { message, _, _ in
            guard case .cascade(0, .parityRequest(let keyLength, let queries)) = message else { return nil }
            return LinkMessageCodec().encode(.cascade(blockID: 0, .parityRequest(keyLength: keyLength + 1, queries: queries)))
        }
        try link.run(seconds: 4)
        let discarded = try #require(link.bob.reports.first { $0.blockID == 0 })
        #expect(link.aliceErrors.count == 1 && link.aliceErrors[0].hasPrefix("block 0: Cascade keys differ in length: Bob has \(discarded.siftedBits + 1) bits"),
                "\(link.aliceErrors)")
        #expect(link.bobErrors == ["Alice discarded block 0: \(link.aliceErrors[0])"])
        #expect(discarded.discardReason == link.bobErrors[0] && !discarded.verified && discarded.keysStored == 0)
        link.expectOtherBlocksUntouched(except: 0, method: .cascade)
    }

    @Test func aTruncatedParityRequestDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .cascade), seed: 4)
        var tampered = false
        link.tamper = { message, bytes, _ in
            guard !tampered, case .cascade(1, .parityRequest) = message else { return nil }
            tampered = true
            return Array(bytes.dropLast(3))
        }
        try link.run(seconds: 4)
        #expect(link.aliceErrors.count == 1 && link.aliceErrors[0].hasPrefix("Cascade parity request for block 1: message truncated"),
                "\(link.aliceErrors)")
        #expect(link.bobErrors == ["Alice discarded block 1: \(link.aliceErrors[0])"])
        let discarded = try #require(link.bob.reports.first { $0.blockID == 1 })
        #expect(discarded.discardReason == link.bobErrors[0] && !discarded.verified && discarded.keysStored == 0)
        link.expectOtherBlocksUntouched(except: 1, method: .cascade)
    }

    /// Each side reports a Cascade message for a block it does not hold and tells the peer, which
    /// holds no such block either and only reports it.
    @Test func messagesForUnknownBlocksAreAnsweredAndChangeNothing() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .cascade), seed: 4)
        try link.run(seconds: 2)
        let reportsBefore = link.bob.reports
        try link.inject(.cascade(blockID: 99, .parityResponse(parities: BitVector(count: 8))), toBob: true)
        try link.inject(.cascade(blockID: 99, .parityRequest(keyLength: 4000, queries: [CascadeParityQuery(pass: 0, start: 0, end: 8)])), toBob: false)
        let refusal = "Cascade message for block 99, which is not open with Cascade"
        #expect(link.bobErrors == [refusal + ": ignored", "Alice discarded block 99: " + refusal])
        #expect(link.aliceErrors == ["Bob discarded block 99: " + refusal, refusal + ": ignored"])
        #expect(link.bob.reports == reportsBefore)
        try link.run(seconds: 2)
        link.expectOtherBlocksUntouched(except: nil, method: .cascade)
    }

    /// A Cascade message for a block open with LDPC means the nodes disagree about the block: it
    /// is discarded on both sides.
    @Test func aCascadeMessageForAnLDPCBlockDiscardsIt() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .ldpc), seed: 4)
        link.tamper = { message, _, _ in
            guard case .ldpc(1, .syndrome) = message else { return nil }
            return LinkMessageCodec().encode(.cascade(blockID: 1, .parityResponse(parities: BitVector(count: 8))))
        }
        try link.run(seconds: 4)
        let refusal = "Cascade message for block 1, which is not open with Cascade"
        #expect(link.bobErrors == [refusal])
        #expect(link.aliceErrors == ["Bob discarded block 1: " + refusal])
        let discarded = try #require(link.bob.reports.first { $0.blockID == 1 })
        #expect(discarded.method == .ldpc && discarded.discardReason == refusal && discarded.keysStored == 0)
        link.expectOtherBlocksUntouched(except: 1, method: .ldpc)
    }
}
