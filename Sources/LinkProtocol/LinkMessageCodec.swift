import Distillation
import Foundation
import QKDCore

/// The binary encoding of `LinkMessage`: one byte of protocol version, one byte of message type,
/// then the fields big-endian. Decoding refuses an unknown version or type, truncated fields,
/// counts above `limits`, and trailing bytes, each with a `QKDError` naming what was wrong.
public struct LinkMessageCodec: Sendable {
    /// The wire protocol version this codec speaks.
    public static let protocolVersion: UInt8 = 2
    /// The largest count (bits, entries, queries) a message may declare.
    public let limit: Int

    /// Creates a codec; `limit` bounds every declared count (default 2^30).
    public init(limit: Int = 1 << 30) { self.limit = limit }

    private enum Tag: UInt8 {
        case siftingAnnouncement = 1, siftingReply, blockStart, cascadeRequest, cascadeResponse
        case verificationTag, verificationResult, privacyAmplification, abandonedBlock, blockCommitted
        case ldpc, blockDiscarded
    }

    /// The longest reason a `blockDiscarded` message may carry (bytes of UTF-8).
    public static let maximumReasonBytes = 1000

    /// Encodes a message.
    public func encode(_ message: LinkMessage) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(Self.protocolVersion)
        switch message {
        case .siftingAnnouncement(let announcement):
            writer.write(Tag.siftingAnnouncement.rawValue)
            writer.write(announcement.firstSlot)
            writer.write(announcement.slotCount)
            writer.write(count: announcement.slots.count)
            var previous = announcement.firstSlot
            for (slot, entry) in zip(announcement.slots, announcement.entries) {
                writer.writeVarint(slot - previous)
                writer.write(entry.rawValue)
                previous = slot
            }
        case .siftingReply(let reply):
            writer.write(Tag.siftingReply.rawValue)
            writer.write(reply.firstSlot)
            writer.write(bytes: reply.entries.map(\.rawValue))
        case .blockStart(let start):
            writer.write(Tag.blockStart.rawValue)
            writer.write(start.blockID)
            writer.write(count: start.siftedBits)
            writer.write(start.pulses)
            writer.write(start.estimatedQBER.bitPattern)
            writer.write(start.method.rawValue)
        case .cascade(let blockID, .parityRequest(let keyLength, let queries)):
            writer.write(Tag.cascadeRequest.rawValue)
            writer.write(blockID)
            writer.write(count: keyLength)
            writer.write(count: queries.count)
            for query in queries {
                writer.write(UInt32(query.pass))
                writer.write(count: query.start)
                writer.write(count: query.end)
            }
        case .cascade(let blockID, .parityResponse(let parities)):
            writer.write(Tag.cascadeResponse.rawValue)
            writer.write(blockID)
            writer.write(parities)
        case .verificationTag(let blockID, let hashKey, let tag):
            writer.write(Tag.verificationTag.rawValue)
            writer.write(blockID)
            for words in [hashKey, tag] {
                writer.write(count: words.count)
                for word in words { writer.write(word) }
            }
        case .verificationResult(let blockID, let matched):
            writer.write(Tag.verificationResult.rawValue)
            writer.write(blockID)
            writer.write(matched ? 1 as UInt8 : 0)
        case .abandonedBlock(let blockID, let bits):
            writer.write(Tag.abandonedBlock.rawValue)
            writer.write(blockID)
            writer.write(bits)
        case .privacyAmplification(let order):
            writer.write(Tag.privacyAmplification.rawValue)
            writer.write(order.blockID)
            writer.write(count: order.outputLength)
            writer.write(order.seed)
            writer.write(count: order.keyIDs.count)
            for id in order.keyIDs {
                let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
                for byte in bytes { writer.write(byte) }
            }
        case .blockCommitted(let blockID):
            writer.write(Tag.blockCommitted.rawValue)
            writer.write(blockID)
        case .ldpc(let blockID, let ldpcMessage):
            writer.write(Tag.ldpc.rawValue)
            writer.write(blockID)
            LDPCMessageCodec.encode(ldpcMessage, into: &writer)
        case .blockDiscarded(let blockID, let reason):
            writer.write(Tag.blockDiscarded.rawValue)
            writer.write(blockID)
            writer.write(bytes: Array(reason.utf8.prefix(Self.maximumReasonBytes)))
        }
        return writer.bytes
    }

    /// Decodes a message, or throws naming what was malformed.
    public func decode(_ bytes: [UInt8]) throws -> LinkMessage {
        var reader = ByteReader(bytes)
        let version = try reader.readByte("protocol version")
        guard version == Self.protocolVersion else {
            throw QKDError(.malformedInput, "message has protocol version \(version), this node speaks \(Self.protocolVersion)")
        }
        let rawTag = try reader.readByte("message type")
        guard let tag = Tag(rawValue: rawTag) else {
            throw QKDError(.malformedInput, "unknown message type \(rawTag)")
        }
        let message: LinkMessage
        switch tag {
        case .siftingAnnouncement:
            let firstSlot = try reader.readUInt64("frame first slot")
            let slotCount = try reader.readUInt64("frame slot count")
            let count = try reader.readCount("announced results", limit: min(limit, reader.remaining / 2))
            var slots = [UInt64](), entries = [SiftingAnnouncement.Entry]()
            slots.reserveCapacity(count)
            entries.reserveCapacity(count)
            var previous = firstSlot
            for _ in 0..<count {
                let (slot, overflow) = previous.addingReportingOverflow(try reader.readVarint("slot gap"))
                guard !overflow else { throw QKDError(.malformedInput, "announced slot overflows 64 bits") }
                let raw = try reader.readByte("announced result")
                guard let entry = SiftingAnnouncement.Entry(rawValue: raw) else {
                    throw QKDError(.malformedInput, "unknown announced result code \(raw)")
                }
                slots.append(slot)
                entries.append(entry)
                previous = slot
            }
            message = .siftingAnnouncement(try SiftingAnnouncement(firstSlot: firstSlot, slotCount: slotCount, slots: slots, entries: entries))
        case .siftingReply:
            let firstSlot = try reader.readUInt64("frame first slot")
            let raw = try reader.readBytes("reply entries", limit: limit)
            let entries = try raw.map { byte in
                guard let entry = SiftingReply.Entry(rawValue: byte) else {
                    throw QKDError(.malformedInput, "unknown sifting reply code \(byte)")
                }
                return entry
            }
            message = .siftingReply(SiftingReply(firstSlot: firstSlot, entries: entries))
        case .blockStart:
            let blockID = try reader.readUInt64("block ID")
            let sifted = try reader.readCount("sifted bits", limit: limit)
            let pulses = try reader.readUInt64("pulses")
            let qber = Double(bitPattern: try reader.readUInt64("estimated QBER"))
            guard qber >= 0, qber <= 0.5 else {
                throw QKDError(.malformedInput, "block start estimated QBER \(qber) is outside [0, 0.5]")
            }
            let rawMethod = try reader.readByte("reconciliation method")
            guard let method = BlockStart.Method(rawValue: rawMethod) else {
                throw QKDError(.malformedInput, "block start names unknown reconciliation method \(rawMethod)")
            }
            message = .blockStart(BlockStart(blockID: blockID, siftedBits: sifted, pulses: pulses, estimatedQBER: qber, method: method))
        case .cascadeRequest:
            let blockID = try reader.readUInt64("block ID")
            do {
                let keyLength = try reader.readCount("key length", limit: limit)
                let count = try reader.readCount("parity queries", limit: min(limit, reader.remaining / 20))
                var queries = [CascadeParityQuery]()
                queries.reserveCapacity(count)
                for _ in 0..<count {
                    let pass = Int(try reader.readUInt32("query pass"))
                    let start = try reader.readCount("query start", limit: limit)
                    let end = try reader.readCount("query end", limit: limit)
                    queries.append(CascadeParityQuery(pass: pass, start: start, end: end))
                }
                try reader.expectEnd("Cascade parity request")
                message = .cascade(blockID: blockID, .parityRequest(keyLength: keyLength, queries: queries))
            } catch let error as QKDError {
                throw QKDError(.malformedInput, "Cascade parity request for block \(blockID): \(error.message)")
            }
        case .cascadeResponse:
            let blockID = try reader.readUInt64("block ID")
            do {
                let parities = try reader.readBitVector("parities", limit: limit)
                try reader.expectEnd("Cascade parity response")
                message = .cascade(blockID: blockID, .parityResponse(parities: parities))
            } catch let error as QKDError {
                throw QKDError(.malformedInput, "Cascade parity response for block \(blockID): \(error.message)")
            }
        case .verificationTag:
            let blockID = try reader.readUInt64("block ID")
            var fields: [[UInt64]] = []
            for field in ["hash key", "tag"] {
                let count = try reader.readCount("\(field) words", limit: 64)
                fields.append(try (0..<count).map { _ in try reader.readUInt64(field) })
            }
            message = .verificationTag(blockID: blockID, hashKey: fields[0], tag: fields[1])
        case .verificationResult:
            let blockID = try reader.readUInt64("block ID")
            let flag = try reader.readByte("verification flag")
            guard flag <= 1 else { throw QKDError(.malformedInput, "verification flag \(flag) is neither 0 nor 1") }
            message = .verificationResult(blockID: blockID, matched: flag == 1)
        case .abandonedBlock:
            let blockID = try reader.readUInt64("block ID")
            message = .abandonedBlock(blockID: blockID, aliceBits: try reader.readBitVector("abandoned bits", limit: limit))
        case .privacyAmplification:
            let blockID = try reader.readUInt64("block ID")
            let length = try reader.readCount("output length", limit: limit)
            let seed = try reader.readBitVector("Toeplitz seed", limit: limit)
            let count = try reader.readCount("key IDs", limit: min(limit, reader.remaining / 16))
            var ids = [UUID]()
            for _ in 0..<count {
                var bytes = [UInt8]()
                for _ in 0..<16 { bytes.append(try reader.readByte("key ID")) }
                ids.append(UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                       bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])))
            }
            message = .privacyAmplification(PrivacyAmplificationOrder(blockID: blockID, outputLength: length, seed: seed, keyIDs: ids))
        case .blockCommitted:
            message = .blockCommitted(blockID: try reader.readUInt64("block ID"))
        case .ldpc:
            let blockID = try reader.readUInt64("block ID")
            do {
                message = .ldpc(blockID: blockID, try LDPCMessageCodec.decode(from: &reader, limit: limit))
                try reader.expectEnd("LDPC message")
            } catch let error as QKDError {
                throw QKDError(.malformedInput, "LDPC message for block \(blockID): \(error.message)")
            }
        case .blockDiscarded:
            let blockID = try reader.readUInt64("block ID")
            let reason = try reader.readBytes("discard reason", limit: Self.maximumReasonBytes)
            message = .blockDiscarded(blockID: blockID, reason: String(decoding: reason, as: UTF8.self))
        }
        try reader.expectEnd("message type \(rawTag)")
        return message
    }

    /// The block an undecodable message concerns, when only that block need be discarded: the
    /// block ID of a reconciliation message (Cascade parity request or response, LDPC) whose
    /// header (version, type, block ID) is intact; nil for every other message, whose damage
    /// ends the session.
    public func blockScope(ofUndecodable bytes: [UInt8]) -> UInt64? {
        var reader = ByteReader(bytes)
        let blockScoped: Set<UInt8> = [Tag.cascadeRequest.rawValue, Tag.cascadeResponse.rawValue, Tag.ldpc.rawValue]
        guard (try? reader.readByte("protocol version")) == Self.protocolVersion,
              let tag = try? reader.readByte("message type"), blockScoped.contains(tag) else { return nil }
        return try? reader.readUInt64("block ID")
    }
}
