import Dispatch
import Foundation

/// SIGINT and SIGTERM caught for the life of this value, instead of ending the process, so that a
/// command running child processes can stop them all before it exits. `raised` names the first
/// signal received.
final class InterruptSignals: @unchecked Sendable {
    /// Guards `received`, written by the signal sources' queue and read by the command.
    private let lock = NSLock()
    private var received: String?
    private var sources: [any DispatchSourceSignal] = []

    /// Starts catching both signals.
    init() {
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { [weak self] in self?.raise(name) }
            source.resume()
            sources.append(source)
        }
    }

    private func raise(_ name: String) {
        lock.withLock { received = received ?? name }
    }

    /// The first signal received ("SIGINT" or "SIGTERM"), or nil.
    var raised: String? { lock.withLock { received } }

    /// Stops catching: both signals end the process again.
    func restore() {
        sources.forEach { $0.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
