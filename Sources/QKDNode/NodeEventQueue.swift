import Foundation

/// A blocking FIFO of events, filled by NIO, the device thread and signal handlers, and emptied
/// by the node's one runtime thread.
final class NodeEventQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [NodeEvent] = []

    func post(_ event: NodeEvent) {
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// The next event, waiting for one.
    func next() -> NodeEvent {
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty { condition.wait() }
        return events.removeFirst()
    }

    /// The next event, waiting for one at most `timeout` seconds (nil if none came).
    func next(timeout: TimeInterval) -> NodeEvent? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while events.isEmpty {
            guard condition.wait(until: deadline) else { return nil }
        }
        return events.removeFirst()
    }

    /// The next event if one is already waiting.
    func nextIfReady() -> NodeEvent? {
        condition.lock()
        defer { condition.unlock() }
        return events.isEmpty ? nil : events.removeFirst()
    }
}
