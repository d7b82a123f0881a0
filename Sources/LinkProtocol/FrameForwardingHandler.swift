import NIOCore

/// Hands each decoded frame of a connection, and its end (with the error that ended it, if
/// any), to closures; the node's runtime queues them for its own thread.
public final class FrameForwardingHandler: ChannelInboundHandler, Sendable {
    /// Frames arrive decoded by `LengthPrefixedFrameDecoder`.
    public typealias InboundIn = [UInt8]

    private let onFrame: @Sendable ([UInt8]) -> Void
    private let onClose: @Sendable ((any Error)?) -> Void

    /// Creates a handler.
    public init(onFrame: @escaping @Sendable ([UInt8]) -> Void, onClose: @escaping @Sendable ((any Error)?) -> Void) {
        self.onFrame = onFrame
        self.onClose = onClose
    }

    /// Forwards a frame.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onFrame(Self.unwrapInboundIn(data))
    }

    /// Reports the end of the connection.
    public func channelInactive(context: ChannelHandlerContext) {
        onClose(nil)
        context.fireChannelInactive()
    }

    /// Reports an error and closes the connection.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        onClose(error)
        context.close(promise: nil)
    }
}
