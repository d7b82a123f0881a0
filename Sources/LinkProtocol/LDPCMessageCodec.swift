import Distillation
import QKDCore

/// The binary encoding of an `LDPCMessage` inside a `LinkMessage.ldpc`: one byte of kind, then
/// the fields big-endian. A syndrome carries the whole frame plan (code identifier, block size,
/// punctured count, reveal step and budget, QBER), so Bob rebuilds the same code from it and no
/// matrix travels; `LDPCFramePlan`'s own checks refuse a plan out of range.
enum LDPCMessageCodec {
    private enum Kind: UInt8 {
        case syndrome = 0, revealRequest, reveal, accepted, failed
    }

    static func encode(_ message: LDPCMessage, into writer: inout ByteWriter) {
        switch message {
        case let .syndrome(plan, syndrome):
            writer.write(Kind.syndrome.rawValue)
            writer.write(UInt32(plan.code.profileIndex))
            writer.write(UInt32(plan.code.liftingFactor))
            writer.write(plan.code.seed)
            writer.write(count: plan.blockSize)
            writer.write(count: plan.initialPuncturedCount)
            writer.write(count: plan.revealStep)
            writer.write(count: plan.maximumRevealCount)
            writer.write(plan.qber.bitPattern)
            writer.write(syndrome)
        case let .revealRequest(from, count):
            writer.write(Kind.revealRequest.rawValue)
            writer.write(count: from)
            writer.write(count: count)
        case let .reveal(values):
            writer.write(Kind.reveal.rawValue)
            writer.write(values)
        case .accepted:
            writer.write(Kind.accepted.rawValue)
        case .failed:
            writer.write(Kind.failed.rawValue)
        }
    }

    /// Decodes one LDPC message; throws `QKDError` naming the field that is truncated, out of
    /// range or unknown.
    static func decode(from reader: inout ByteReader, limit: Int) throws -> LDPCMessage {
        let rawKind = try reader.readByte("LDPC message kind")
        guard let kind = Kind(rawValue: rawKind) else {
            throw QKDError(.malformedInput, "unknown LDPC message kind \(rawKind)")
        }
        switch kind {
        case .syndrome:
            let profile = Int(try reader.readUInt32("LDPC code profile"))
            let lifting = Int(try reader.readUInt32("LDPC lifting factor"))
            let seed = try reader.readUInt64("LDPC code seed")
            let blockSize = try reader.readCount("LDPC block size", limit: limit)
            let punctured = try reader.readCount("LDPC punctured count", limit: limit)
            let step = try reader.readCount("LDPC reveal step", limit: limit)
            let budget = try reader.readCount("LDPC reveal budget", limit: limit)
            let qber = Double(bitPattern: try reader.readUInt64("LDPC QBER"))
            let syndrome = try reader.readBitVector("LDPC syndrome", limit: limit)
            let plan = try LDPCFramePlan(
                code: LDPCCode.Identifier(profileIndex: profile, liftingFactor: lifting, seed: seed), blockSize: blockSize,
                initialPuncturedCount: punctured, revealStep: step, maximumRevealCount: budget, qber: qber)
            return .syndrome(plan: plan, syndrome: syndrome)
        case .revealRequest:
            let from = try reader.readCount("LDPC reveal start", limit: limit)
            let count = try reader.readCount("LDPC reveal count", limit: limit)
            return .revealRequest(from: from, count: count)
        case .reveal:
            return .reveal(values: try reader.readBitVector("LDPC revealed values", limit: limit))
        case .accepted:
            return .accepted
        case .failed:
            return .failed
        }
    }
}
