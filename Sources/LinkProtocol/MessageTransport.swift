/// Where an endpoint sends its messages: the in-memory channel of the demo and tests, or an
/// authenticated TCP session between two nodes. Endpoints never see which.
public protocol MessageTransport: AnyObject {
    /// Sends one message to the peer (in order; delivery is the transport's concern).
    func send(_ message: LinkMessage)
}
