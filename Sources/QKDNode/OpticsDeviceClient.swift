import Foundation
import QKDCore

/// One side's device stream served by `qkd optics` over a local TCP socket: the optics process
/// sends Alice's records only on Alice's socket and Bob's clicks only on Bob's.
public final class OpticsDeviceClient: QuantumDevice, @unchecked Sendable {
    private let socket: TCPSocket
    private let address: String

    /// Connects to the optics process at `address` (`HOST:PORT`), retrying for `patience`
    /// seconds while it starts.
    public init(address: String, patience: Double = 10) throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(patience * 1000))
        while true {
            do {
                socket = try TCPSocket.connect(to: address)
                break
            } catch let error as QKDError {
                guard ContinuousClock.now < deadline, error.code == .notFound else {
                    throw QKDError(error.code, "optics device: \(error.message)")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        self.address = address
    }

    /// The next frame from the optics process.
    public func nextFrame() throws -> DeviceFrame? {
        guard let bytes = try socket.readFrame(limit: 1 << 30) else { return nil }
        return try DeviceFrame(decoding: bytes)
    }

    /// Closes the connection.
    public func stop() { socket.close() }
}
