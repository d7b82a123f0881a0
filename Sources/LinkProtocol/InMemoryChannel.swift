import QKDCore

/// One end of an in-process classical channel. Every message crosses it as bytes through
/// `LinkMessageCodec`, exactly as it would over TCP, so the codec and the byte counts are the
/// real ones.
public final class InMemoryChannel: MessageTransport, @unchecked Sendable {
    private var inbox: [[UInt8]] = []
    private var inboxStart = 0
    private weak var peer: InMemoryChannel?
    private let codec: LinkMessageCodec
    /// Bytes this end has sent.
    public private(set) var bytesSent = 0
    /// Messages this end has sent.
    public private(set) var messagesSent = 0

    private init(codec: LinkMessageCodec) { self.codec = codec }

    /// Creates two connected ends.
    public static func pair(codec: LinkMessageCodec = LinkMessageCodec()) -> (InMemoryChannel, InMemoryChannel) {
        let first = InMemoryChannel(codec: codec), second = InMemoryChannel(codec: codec)
        first.peer = second
        second.peer = first
        return (first, second)
    }

    /// Encodes and delivers a message to the other end.
    public func send(_ message: LinkMessage) {
        let bytes = codec.encode(message)
        bytesSent += bytes.count
        messagesSent += 1
        peer?.inbox.append(bytes)
    }

    /// The next received message, decoded, or nil if none is waiting.
    public func receive() throws -> LinkMessage? {
        guard inboxStart < inbox.count else { return nil }
        let bytes = inbox[inboxStart]
        inboxStart += 1
        if inboxStart == inbox.count {
            inbox.removeAll(keepingCapacity: true)
            inboxStart = 0
        }
        return try codec.decode(bytes)
    }
}
