import QKDCore

/// The authenticated framing of one connection between the nodes.
///
/// A frame is `version (1) | kind (1) | sender (1) | counter (8) | sender's pool segments (8) |
/// payload | tag (8)`. The counter is the index of the one-time pad that encrypts the tag, in the
/// sender's direction; it must be exactly the next expected one, so a replayed, dropped or
/// reordered frame is refused. The Wegman-Carter tag covers the session binding (both hello
/// nonces; zeros for the hellos themselves) and every byte before the tag, so a frame of an
/// earlier session or a modified frame fails authentication. Nothing is returned to the caller
/// before its tag has been checked.
public final class SecureSession {
    /// The wire format version.
    public static let wireVersion: UInt8 = 1
    /// Bytes of the header.
    public static let headerByteCount = 19
    /// Bytes of the tag.
    public static let tagByteCount = 8

    /// The direction this node sends in.
    public let sendDirection: LinkDirection
    private let pool: AuthenticationKeyPool
    private let persistSendReservation: (UInt64) throws -> Void
    private var sendReservedUpTo: UInt64
    /// The counter (pad index) of the next frame this node sends.
    public private(set) var nextSendCounter: UInt64
    /// The counter expected on the next received frame (nil until the peer's hello).
    public private(set) var nextReceiveCounter: UInt64?
    /// The smallest counter a peer hello may start at (pads below it were already seen).
    public let minimumPeerCounter: UInt64
    /// The pool segment count the peer can authenticate with: Alice's own count bounds Bob's
    /// pads (updated from each of her message frames); Bob is never behind Alice.
    public private(set) var peerSegments: Int
    /// The pool segment count declared in the latest frame received (hellos included).
    public private(set) var lastDeclaredPeerSegments = 0
    /// Both nonces, once known.
    private var binding: [UInt8] = Array(repeating: 0, count: 16)
    /// Pad bits consumed by this session (sent and received frames).
    public private(set) var padBitsConsumed = 0
    /// How many reserved pads are persisted ahead of use.
    public static let reservationStep: UInt64 = 256

    /// Creates a session; pads from `firstSendCounter` on are this node's to use, and
    /// `persistSendReservation` durably records a counter before pads up to it are used (so a
    /// crash never leads to a pad being used twice).
    public init(sendDirection: LinkDirection, pool: AuthenticationKeyPool, firstSendCounter: UInt64, minimumPeerCounter: UInt64,
                ownSegments: Int, persistSendReservation: @escaping (UInt64) throws -> Void) {
        self.sendDirection = sendDirection
        self.pool = pool
        self.nextSendCounter = firstSendCounter
        self.sendReservedUpTo = firstSendCounter
        self.minimumPeerCounter = minimumPeerCounter
        self.peerSegments = sendDirection == .aliceToBob ? Int.max : ownSegments
        self.persistSendReservation = persistSendReservation
    }

    private var receiveDirection: LinkDirection { sendDirection == .aliceToBob ? .bobToAlice : .aliceToBob }

    /// Binds later frames to this session's two nonces.
    public func bind(aliceNonce: UInt64, bobNonce: UInt64) {
        var writer = ByteWriter()
        writer.write(aliceNonce)
        writer.write(bobNonce)
        binding = writer.bytes
    }

    /// Pads this node may still use to send, within the segments both nodes hold.
    public var sendPadsLeft: Int {
        let usable = pool.padCount(sendDirection, segments: min(pool.segmentCount, peerSegments))
        return max(0, usable - Int(nextSendCounter))
    }

    /// Pads this node holds for sending, including those of segments the peer has not confirmed
    /// yet (it appends a committed block's segment once it learns of the commit): what sending
    /// can rely on in the near future.
    public var sendPadsHeld: Int {
        max(0, pool.padCount(sendDirection, segments: pool.segmentCount) - Int(nextSendCounter))
    }

    /// Builds and authenticates a frame; throws `unavailable` if the pool holds no pad for it
    /// (the node must stop rather than reuse key).
    public func seal(_ kind: WireFrameKind, payload: [UInt8]) throws -> [UInt8] {
        let counter = nextSendCounter
        guard sendPadsLeft > 0, let pad = pool.pad(sendDirection, index: counter) else {
            throw QKDError(.unavailable, "authentication key pool exhausted: no unused one-time pad left for \(sendDirection == .aliceToBob ? "Alice to Bob" : "Bob to Alice") (pad \(counter)); this node stops producing keys rather than reuse key")
        }
        if counter >= sendReservedUpTo {
            sendReservedUpTo = counter + Self.reservationStep
            try persistSendReservation(sendReservedUpTo)
        }
        var writer = ByteWriter()
        writer.write(Self.wireVersion)
        writer.write(kind.rawValue)
        writer.write(sendDirection.rawValue)
        writer.write(counter)
        writer.write(UInt64(pool.segmentCount))
        var frame = writer.bytes + payload
        let tag = pool.authenticator.tag(binding + frame, pad: pad)
        for shift in stride(from: 56, through: 0, by: -8) { frame.append(UInt8(truncatingIfNeeded: tag >> UInt64(shift))) }
        nextSendCounter += 1
        padBitsConsumed += WegmanCarterAuthenticator.padBitCount
        return frame
    }

    /// Checks and opens a received frame, or throws naming why it was refused.
    public func open(_ frame: [UInt8]) throws -> (kind: WireFrameKind, payload: [UInt8]) {
        guard frame.count >= Self.headerByteCount + Self.tagByteCount else {
            throw QKDError(.malformedInput, "corrupt frame: \(frame.count) bytes, shorter than a header and tag")
        }
        guard frame[0] == Self.wireVersion else {
            throw QKDError(.malformedInput, "corrupt frame: wire version \(frame[0]), this node speaks \(Self.wireVersion)")
        }
        guard let kind = WireFrameKind(rawValue: frame[1]) else {
            throw QKDError(.malformedInput, "corrupt frame: unknown frame kind \(frame[1])")
        }
        guard frame[2] == receiveDirection.rawValue else {
            throw QKDError(.protocolFailure, "frame claims to come from \(frame[2] == 0 ? "Alice" : "Bob"), but the peer is the other role")
        }
        var reader = ByteReader(Array(frame[3..<Self.headerByteCount]))
        let counter = try reader.readUInt64("frame counter")
        let segments = try reader.readUInt64("frame pool segments")
        if let expected = nextReceiveCounter {
            guard counter == expected else {
                throw QKDError(.protocolFailure, "frame counter \(counter), expected \(expected): a replayed, dropped or reordered frame")
            }
        } else {
            guard kind == .hello else { throw QKDError(.protocolFailure, "first frame from the peer is not a hello") }
            guard counter >= minimumPeerCounter else {
                throw QKDError(.protocolFailure, "peer hello uses pad \(counter), below \(minimumPeerCounter): a replayed hello")
            }
        }
        guard let pad = pool.pad(receiveDirection, index: counter) else {
            throw QKDError(.protocolFailure, "frame \(counter) uses a one-time pad beyond this node's authentication pool (the nodes hold different keys)")
        }
        let body = Array(frame[0..<frame.count - Self.tagByteCount])
        let tag = frame[(frame.count - Self.tagByteCount)...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard pool.authenticator.isValid(tag: tag, for: binding + body, pad: pad) else {
            throw QKDError(.protocolFailure, "frame \(counter) failed authentication (tampered, forged or from another session)")
        }
        nextReceiveCounter = counter + 1
        lastDeclaredPeerSegments = Int(clamping: segments)
        if kind != .hello, sendDirection == .bobToAlice { peerSegments = lastDeclaredPeerSegments }
        padBitsConsumed += WegmanCarterAuthenticator.padBitCount
        return (kind, Array(body[Self.headerByteCount...]))
    }

    /// Encodes coalesced link messages as one frame payload.
    public static func messagesPayload(_ messages: [LinkMessage], codec: LinkMessageCodec) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(count: messages.count)
        for message in messages { writer.write(bytes: codec.encode(message)) }
        return writer.bytes
    }

    /// Decodes a messages payload, refusing malformed or trailing bytes.
    public static func messages(from payload: [UInt8], codec: LinkMessageCodec) throws -> [LinkMessage] {
        var reader = ByteReader(payload)
        let count = try reader.readCount("coalesced messages", limit: reader.remaining / 8)
        let messages = try (0..<count).map { _ in try codec.decode(try reader.readBytes("message", limit: codec.limit)) }
        try reader.expectEnd("messages frame")
        return messages
    }
}
