import QKDCore

/// The handshake each node sends first on a new connection. The receiver checks that both
/// agree on protocol, preset and parameters, and both derive the session's start from it.
public struct SessionHello: Sendable, Equatable {
    /// The link-message protocol version the sender speaks.
    public var protocolVersion: UInt8
    /// The sender's preset or configuration name (for the error message on a mismatch).
    public var configurationName: String
    /// A digest of every link and post-processing parameter; both nodes must agree.
    public var parameterDigest: UInt64
    /// A fresh random number; the two nonces bind every later frame to this session.
    public var nonce: UInt64
    /// The first device slot the sender can still process.
    public var firstAvailableSlot: UInt64
    /// The sender's smallest unused block ID.
    public var nextBlockID: UInt64
    /// Bob only: the blocks of his pool segments beyond Alice's segment count, in commit order
    /// (Alice commits exactly these of her pending blocks and discards the rest).
    public var committedBlocks: [UInt64]

    /// Creates a hello.
    public init(protocolVersion: UInt8 = LinkMessageCodec.protocolVersion, configurationName: String, parameterDigest: UInt64,
                nonce: UInt64, firstAvailableSlot: UInt64, nextBlockID: UInt64, committedBlocks: [UInt64]) {
        self.protocolVersion = protocolVersion
        self.configurationName = configurationName
        self.parameterDigest = parameterDigest
        self.nonce = nonce
        self.firstAvailableSlot = firstAvailableSlot
        self.nextBlockID = nextBlockID
        self.committedBlocks = committedBlocks
    }

    /// The encoded hello.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.write(protocolVersion)
        writer.write(bytes: Array(configurationName.utf8))
        for value in [parameterDigest, nonce, firstAvailableSlot, nextBlockID] { writer.write(value) }
        writer.write(count: committedBlocks.count)
        for block in committedBlocks { writer.write(block) }
        return writer.bytes
    }

    /// Decodes a hello, or throws naming the malformed field.
    public init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        protocolVersion = try reader.readByte("hello protocol version")
        configurationName = String(decoding: try reader.readBytes("hello configuration name", limit: 4096), as: UTF8.self)
        parameterDigest = try reader.readUInt64("hello parameter digest")
        nonce = try reader.readUInt64("hello nonce")
        firstAvailableSlot = try reader.readUInt64("hello first slot")
        nextBlockID = try reader.readUInt64("hello next block ID")
        let count = try reader.readCount("hello committed blocks", limit: reader.remaining / 8)
        committedBlocks = try (0..<count).map { _ in try reader.readUInt64("hello committed block") }
        try reader.expectEnd("hello")
    }

    /// Throws a one-line error unless `peer` runs the same protocol and parameters.
    public func checkAgreement(with peer: SessionHello) throws {
        guard peer.protocolVersion == protocolVersion else {
            throw QKDError(.protocolFailure, "peer speaks link protocol version \(peer.protocolVersion), this node \(protocolVersion)")
        }
        guard peer.parameterDigest == parameterDigest else {
            throw QKDError(.protocolFailure, "peer runs configuration \"\(peer.configurationName)\" with other parameters than this node's \"\(configurationName)\" (digest \(String(peer.parameterDigest, radix: 16)) vs \(String(parameterDigest, radix: 16)))")
        }
    }
}
