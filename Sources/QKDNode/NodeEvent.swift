import NIOCore

/// What wakes a node's runtime thread.
enum NodeEvent: Sendable {
    case deviceFrame(DeviceFrame)
    case deviceEnded
    case deviceFailed(String)
    case peerConnected(Int, any Channel)
    case peerFrame(Int, [UInt8])
    case peerClosed(Int, String?)
    case reconnect
    case shutdown(String)
}
