import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A man in the middle on loopback between Bob and Alice: it accepts Bob's connections and
/// relays each one to Alice frame by frame (32-bit big-endian length prefix), tampering with the
/// next frame in the chosen direction when armed.
final class TamperingProxy: @unchecked Sendable {
    /// What the proxy does to one frame of a connection.
    enum Tampering: String, Sendable, CaseIterable {
        /// Flips one bit inside a frame from Alice to Bob.
        case flipBit
        /// Drops a frame from Bob to Alice.
        case drop
        /// Sends a frame from Alice to Bob twice.
        case duplicate
        /// Sends Alice, before a frame, an earlier frame of Bob's again.
        case replay

        /// Whether the tampered frames travel from Alice to Bob.
        var towardsBob: Bool { self == .flipBit || self == .duplicate }
    }

    private let listener: Int32
    private let targetPort: UInt16
    private let lock = NSLock()
    private var sockets: [Int32] = []
    private var connections = 0
    private var armed: Tampering?
    private var applied: [Tampering] = []

    /// Listens on an ephemeral loopback port and relays to Alice's `targetPort`.
    init(targetPort: Int) throws {
        self.targetPort = UInt16(targetPort)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The port Bob connects to.
    var port: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Applies `tampering` to the next frame of its direction (on the current connection).
    func tamperWithNextFrame(_ tampering: Tampering) { lock.withLock { armed = tampering } }

    /// Connections relayed so far.
    var connectionCount: Int { lock.withLock { connections } }

    /// The tamperings carried out, in order.
    var appliedTamperings: [Tampering] { lock.withLock { applied } }

    /// Closes the listener and every relayed connection.
    func stop() {
        lock.withLock {
            for descriptor in sockets + [listener] { shutdown(descriptor, Int32(SHUT_RDWR)) }
            for descriptor in sockets + [listener] { close(descriptor) }
            sockets = []
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func acceptLoop() {
        while true {
            let bob = accept(listener, nil, nil)
            guard bob >= 0 else { return }
            let alice = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: targetPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(alice, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(bob)
                close(alice)
                continue
            }
            lock.withLock {
                sockets += [bob, alice]
                connections += 1
            }
            Thread.detachNewThread { [self] in relay(from: alice, to: bob, towardsBob: true) }
            Thread.detachNewThread { [self] in relay(from: bob, to: alice, towardsBob: false) }
        }
    }

    /// Copies frames from `source` to `destination` until either side closes, then closes both.
    private func relay(from source: Int32, to destination: Int32, towardsBob: Bool) {
        defer {
            shutdown(source, Int32(SHUT_RDWR))
            shutdown(destination, Int32(SHUT_RDWR))
        }
        var sent: [[UInt8]] = []
        while let prefix = read(source, count: 4) {
            let length = prefix.reduce(0) { $0 << 8 | Int($1) }
            guard let body = read(source, count: length) else { return }
            var outgoing = [prefix + body]
            let tampering: Tampering? = lock.withLock {
                guard let armed, armed.towardsBob == towardsBob, !sent.isEmpty else { return nil }
                self.armed = nil
                applied.append(armed)
                return armed
            }
            if let tampering {
                switch tampering {
                case .flipBit:
                    outgoing[0][outgoing[0].count - 9] ^= 0x10
                case .drop:
                    outgoing = []
                case .duplicate:
                    outgoing.append(outgoing[0])
                case .replay:
                    outgoing.insert(sent[sent.count / 2], at: 0)
                }
            }
            sent.append(prefix + body)
            for frame in outgoing where !write(destination, frame) { return }
        }
    }

    private func read(_ descriptor: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = bytes[offset...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return nil }
            offset += received
        }
        return bytes
    }

    private func write(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
