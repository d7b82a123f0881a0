import NIOCore

/// Hands a connection's start, each decoded frame, and its end (with the error that ended it, if
/// any), to closures, in that order; the node's runtime queues them for its own thread.
public final class FrameForwardingHandler: ChannelInboundHandler, Sendable {
    /// Frames arrive decoded by `LengthPrefixedFrameDecoder`.
    public typealias InboundIn = [UInt8]

    private let onActive: @Sendable (any Channel) -> Void
    private let onFrame: @Sendable ([UInt8]) -> Void
    private let onClose: @Sendable ((any Error)?) -> Void

    /// Creates a handler.
    public init(onActive: @escaping @Sendable (any Channel) -> Void, onFrame: @escaping @Sendable ([UInt8]) -> Void,
                onClose: @escaping @Sendable ((any Error)?) -> Void) {
        self.onActive = onActive
        self.onFrame = onFrame
        self.onClose = onClose
    }

    /// Reports the connection before any of its frames.
    public func channelActive(context: ChannelHandlerContext) {
        onActive(context.channel)
        context.fireChannelActive()
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
