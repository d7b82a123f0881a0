import Foundation
import QKDCore

/// One side's device stream served by `qkd optics` over a local TCP socket: the optics process
/// sends Alice's records only on Alice's socket and Bob's clicks only on Bob's, each frame on
/// request (this client keeps `window` requests outstanding).
public final class OpticsDeviceClient: QuantumDevice, @unchecked Sendable {
    private let socket: TCPSocket
    private let address: String

    /// Connects to the optics process at `address` (`HOST:PORT`), retrying every 0.1 s for
    /// `patience` seconds while it starts (or, for a node restarted after a crash, while it
    /// notices the old connection is gone), and asks for the first `window` frames. Throws one
    /// line naming the address if the optics process does not answer in time.
    public init(address: String, patience: Double = 10, window: Int = 2) throws {
        self.address = address
        let deadline = ContinuousClock.now + .milliseconds(Int(patience * 1000))
        while true {
            do {
                socket = try TCPSocket.connect(to: address)
                break
            } catch let error as QKDError {
                guard error.code == .notFound else { throw QKDError(error.code, "optics device: \(error.message)") }
                guard ContinuousClock.now < deadline else {
                    throw QKDError(.notFound, "optics device: \(error.message); gave up after \(patience) s (is `qkd optics` running, and has its run not ended?)")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        do {
            try socket.write([UInt8](repeating: OpticsServer.frameRequest, count: max(1, window)))
        } catch {
            throw QKDError(.notFound, "optics device at \(address) closed the connection at once")
        }
    }

    /// The next frame from the optics process, asking for one more; nil at the end of the run
    /// (an empty frame). Throws if the stream stops without that marker (the optics process has
    /// gone).
    public func nextFrame() throws -> DeviceFrame? {
        guard let bytes = try socket.readFrame(limit: 1 << 30) else {
            throw QKDError(.notFound, "optics device at \(address): connection lost before the end of the run (the optics process has gone)")
        }
        if bytes.isEmpty {
            socket.close()
            return nil
        }
        // A failed request means the optics process has gone; the next read reports it.
        try? socket.write([OpticsServer.frameRequest])
        return try DeviceFrame(decoding: bytes)
    }

    /// Closes the connection.
    public func stop() { socket.close() }
}
