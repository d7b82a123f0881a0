import LinkProtocol

/// Collects the messages an endpoint sends while one event is handled; the node then sends
/// them as one authenticated frame (one pad per frame, not per message).
final class CoalescingTransport: MessageTransport {
    private(set) var outbox: [LinkMessage] = []

    func send(_ message: LinkMessage) { outbox.append(message) }

    /// The collected messages, emptying the outbox.
    func take() -> [LinkMessage] {
        defer { outbox = [] }
        return outbox
    }
}
