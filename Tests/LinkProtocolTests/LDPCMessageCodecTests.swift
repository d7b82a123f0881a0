import Distillation
import LinkProtocol
import QKDCore
import Testing

@Suite struct LDPCMessageCodecTests {
    let codec = LinkMessageCodec()

    private func plan() throws -> LDPCFramePlan {
        try LDPCRateAdaptation().plan(blockSize: 2_000, estimatedQBER: 0.03)
    }

    private func sampleMessages() throws -> [LinkMessage] {
        var generator = SeededGenerator(seed: 2)
        let plan = try plan()
        let checks = try LDPCCodeCache.shared.code(plan.code).checkCount
        return [
            .blockStart(BlockStart(blockID: 5, siftedBits: 2_000, pulses: 1 << 30, estimatedQBER: 0.03, method: .ldpc)),
            .ldpc(blockID: 5, .syndrome(plan: plan, syndrome: BitVector(randomCount: checks, using: &generator))),
            .ldpc(blockID: 5, .revealRequest(from: 12, count: 30)),
            .ldpc(blockID: 5, .reveal(values: BitVector(randomCount: 30, using: &generator))),
            .ldpc(blockID: 5, .accepted),
            .ldpc(blockID: 5, .failed),
            .blockDiscarded(blockID: 5, reason: "LDPC syndrome has 3 bits but the code has 400 checks"),
        ]
    }

    @Test func everyMessageRoundTrips() throws {
        for message in try sampleMessages() {
            #expect(try codec.decode(codec.encode(message)) == message)
        }
    }

    /// Every truncation is refused with a clear error, and every truncated LDPC message whose
    /// header survives names its block, so that only that block is discarded.
    @Test func truncationsAreRefusedAndScopedToTheirBlock() throws {
        for message in try sampleMessages() {
            let bytes = codec.encode(message)
            for length in 0..<bytes.count {
                let prefix = Array(bytes.prefix(length))
                #expect(throws: QKDError.self) { try codec.decode(prefix) }
                if case .ldpc = message, length >= 10 {
                    #expect(codec.blockScope(ofUndecodable: prefix) == 5)
                    do {
                        _ = try codec.decode(prefix)
                    } catch let error as QKDError {
                        #expect(error.message.hasPrefix("LDPC message for block 5: "), "\(error.message)")
                    }
                } else {
                    #expect(codec.blockScope(ofUndecodable: prefix) == nil)
                }
            }
        }
    }

    @Test func corruptFieldsAreRefusedNamingThem() throws {
        let syndrome = codec.encode(.ldpc(blockID: 5, .syndrome(plan: try plan(), syndrome: BitVector(count: 8))))
        var unknownProfile = syndrome
        unknownProfile[11] = 0xFF  // top byte of the profile index: no such degree profile
        #expect(throws: QKDError.self) { try codec.decode(unknownProfile) }
        var unknownKind = syndrome
        unknownKind[10] = 9
        #expect(throws: QKDError(.malformedInput, "LDPC message for block 5: unknown LDPC message kind 9")) { try codec.decode(unknownKind) }
        var method = codec.encode(.blockStart(BlockStart(blockID: 1, siftedBits: 10, pulses: 10, estimatedQBER: 0.1, method: .ldpc)))
        method[method.count - 1] = 7
        #expect(throws: QKDError(.malformedInput, "block start names unknown reconciliation method 7")) { try codec.decode(method) }
        #expect(codec.blockScope(ofUndecodable: codec.encode(.verificationResult(blockID: 5, matched: true))) == nil)
    }
}
