import NIOCore
import QKDCore

/// Splits a TCP byte stream into frames prefixed by a 32-bit big-endian length, refusing a
/// declared length above `maximumFrameBytes` (a corrupt or hostile prefix never makes the node
/// allocate without bound).
public struct LengthPrefixedFrameDecoder: ByteToMessageDecoder {
    /// Decoded frames are byte arrays.
    public typealias InboundOut = [UInt8]
    /// The largest frame accepted.
    public let maximumFrameBytes: Int

    /// Creates a decoder.
    public init(maximumFrameBytes: Int = 1 << 28) { self.maximumFrameBytes = maximumFrameBytes }

    /// Emits every complete frame in `buffer`.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= maximumFrameBytes else {
            throw QKDError(.malformedInput, "corrupt frame: declared length \(length) exceeds the limit of \(maximumFrameBytes) bytes")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(Self.wrapInboundOut(buffer.readBytes(length: Int(length))!))
        return .continue
    }

    /// Prefixes `frame` with its length.
    public static func framed(_ frame: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frame.count + 4)
        buffer.writeInteger(UInt32(frame.count))
        buffer.writeBytes(frame)
        return buffer
    }
}
