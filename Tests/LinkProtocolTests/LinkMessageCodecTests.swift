import Distillation
import Foundation
import LinkProtocol
import QKDCore
import Testing

@Suite struct LinkMessageCodecTests {
    let codec = LinkMessageCodec()

    private func sampleMessages() throws -> [LinkMessage] {
        var generator = SeededGenerator(seed: 1)
        let announcement = try SiftingAnnouncement(
            firstSlot: 1_000, slotCount: 5_000, slots: [1_000, 1_200, 5_999], entries: [.z, .xPlus, .xMinus])
        return [
            .siftingAnnouncement(announcement),
            .siftingReply(SiftingReply(firstSlot: 1_000, entries: [.z, .plus, .early])),
            .blockStart(BlockStart(blockID: 3, siftedBits: 800_000, pulses: 1 << 40, estimatedQBER: 0.0685)),
            .cascade(blockID: 3, .parityRequest(keyLength: 4096, queries: [CascadeParityQuery(pass: 0, start: 0, end: 64), CascadeParityQuery(pass: 2, start: 10, end: 11)])),
            .cascade(blockID: 3, .parityResponse(parities: BitVector(randomCount: 77, using: &generator))),
            .verificationTag(blockID: 3, hashKey: [1, 2], tag: [3, 4]),
            .verificationResult(blockID: 3, matched: true),
            .abandonedBlock(blockID: 4, aliceBits: BitVector(randomCount: 130, using: &generator)),
            .privacyAmplification(PrivacyAmplificationOrder(
                blockID: 3, outputLength: 100, seed: BitVector(randomCount: 4195, using: &generator),
                keyIDs: [UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!])),
        ]
    }

    @Test func everyMessageRoundTrips() throws {
        for message in try sampleMessages() {
            #expect(try codec.decode(codec.encode(message)) == message)
        }
    }

    @Test func everyTruncationIsRefusedWithAClearError() throws {
        for message in try sampleMessages() {
            let bytes = codec.encode(message)
            for length in 0..<bytes.count {
                #expect(throws: QKDError.self) { try codec.decode(Array(bytes.prefix(length))) }
            }
        }
    }

    /// A Cascade message cut after its header (version, type, block ID) or carrying trailing bytes
    /// is refused naming its block, and `blockScope` gives that block, so that only it is
    /// discarded; a cut header, or any other message, has no block scope.
    @Test func damagedCascadeMessagesAreScopedToTheirBlock() throws {
        for message in try sampleMessages() {
            let bytes = codec.encode(message)
            guard case .cascade(let blockID, let cascade) = message else {
                #expect(codec.blockScope(ofUndecodable: Array(bytes.dropLast())) == nil)
                continue
            }
            let name = if case .parityRequest = cascade { "Cascade parity request" } else { "Cascade parity response" }
            for length in 0..<bytes.count {
                let prefix = Array(bytes.prefix(length))
                #expect(codec.blockScope(ofUndecodable: prefix) == (length >= 10 ? blockID : nil))
                guard length >= 10 else { continue }
                let error = #expect(throws: QKDError.self) { try codec.decode(prefix) }
                #expect(error?.message.hasPrefix("\(name) for block \(blockID): ") == true, "\(String(describing: error))")
            }
            #expect(throws: QKDError(.malformedInput, "\(name) for block \(blockID): \(name) has 1 unexpected trailing bytes")) {
                try codec.decode(bytes + [0])
            }
        }
    }

    @Test func wrongVersionUnknownTypeAndTrailingBytesAreRefused() throws {
        var bytes = codec.encode(.verificationResult(blockID: 1, matched: false))
        bytes[0] = 9
        #expect(throws: QKDError(.malformedInput, "message has protocol version 9, this node speaks \(LinkMessageCodec.protocolVersion)")) { try codec.decode(bytes) }
        #expect(throws: QKDError(.malformedInput, "unknown message type 200")) { try codec.decode([LinkMessageCodec.protocolVersion, 200]) }
        let extra = codec.encode(.verificationResult(blockID: 1, matched: false)) + [0]
        #expect(throws: QKDError.self) { try codec.decode(extra) }
        var flag = codec.encode(.verificationResult(blockID: 1, matched: true))
        flag[flag.count - 1] = 7
        #expect(throws: QKDError.self) { try codec.decode(flag) }
    }

    /// A hostile length field must be refused before anything is allocated for it.
    @Test func hostileCountsAreRefused() throws {
        var writer = ByteWriter()
        writer.write(LinkMessageCodec.protocolVersion)
        writer.write(UInt8(5))
        writer.write(UInt64(1))
        writer.write(UInt64.max)
        #expect(throws: QKDError.self) { try codec.decode(writer.bytes) }
    }

    @Test func announcementsOutsideTheirFrameAreRefused() {
        #expect(throws: QKDError.self) { try SiftingAnnouncement(firstSlot: 10, slotCount: 5, slots: [16], entries: [.z]) }
        #expect(throws: QKDError.self) { try SiftingAnnouncement(firstSlot: 10, slotCount: 5, slots: [12, 11], entries: [.z, .z]) }
    }

    @Test func inMemoryChannelDeliversInOrderAsBytes() throws {
        let (alice, bob) = InMemoryChannel.pair()
        alice.send(.verificationResult(blockID: 1, matched: true))
        alice.send(.verificationResult(blockID: 2, matched: false))
        #expect(try bob.receive() == .verificationResult(blockID: 1, matched: true))
        #expect(try bob.receive() == .verificationResult(blockID: 2, matched: false))
        #expect(try bob.receive() == nil)
        #expect(alice.messagesSent == 2)
        #expect(alice.bytesSent == 2 * 11)
    }
}
