#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import QKDCore

/// A blocking IPv4 TCP socket, for the device streams between `qkd optics` and the nodes (the
/// classical channel between the nodes runs on SwiftNIO).
final class TCPSocket: @unchecked Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// The descriptor is released only here, when no thread can still use it (so a number
    /// reused by a later socket is never written to by mistake); `close()` only shuts it down.
    deinit { Glibc.close(descriptor) }

    /// Parses `host:port`.
    static func address(_ text: String) throws -> (host: String, port: UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw QKDError(.invalidParameter, "address \"\(text)\" is not HOST:PORT")
        }
        return (String(text[..<colon]), port)
    }

    private static func socketAddress(host: String, port: UInt16) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let resolved = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, resolved, &address.sin_addr) == 1 else {
            throw QKDError(.invalidParameter, "address \"\(host)\" is not an IPv4 address")
        }
        return address
    }

    /// Connects to `host:port`, or throws naming the address and the reason.
    static func connect(to text: String) throws -> TCPSocket {
        let (host, port) = try address(text)
        var address = try socketAddress(host: host, port: port)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw QKDError(.notFound, "cannot connect to \(text) (\(reason))")
        }
        return TCPSocket(descriptor: descriptor)
    }

    /// Listens on `host:port` (port 0: an ephemeral port).
    static func listen(on text: String) throws -> TCPSocket {
        let (host, port) = try address(text)
        var address = try socketAddress(host: host, port: port)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 4) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw QKDError(.invalidParameter, "cannot listen on \(text) (\(reason))")
        }
        return TCPSocket(descriptor: descriptor)
    }

    /// The local port (after listening on port 0).
    var localPort: UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Waits for a connection.
    func accept() throws -> TCPSocket {
        let client = Glibc.accept(descriptor, nil, nil)
        guard client >= 0 else { throw QKDError(.storage, "accept failed (\(String(cString: strerror(errno))))") }
        return TCPSocket(descriptor: client)
    }

    /// Writes every byte; throws if the peer has gone.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw QKDError(.storage, "device stream closed by the node") }
            offset += written
        }
    }

    /// Reads exactly `count` bytes, or returns nil at a clean end of stream.
    func read(exactly count: Int) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = bytes[offset...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received == 0, offset == 0 { return nil }
            guard received > 0 else { throw QKDError(.malformedInput, "device stream ended inside a frame") }
            offset += received
        }
        return bytes
    }

    /// Reads whatever bytes have arrived (at most `maximum`, waiting for at least one); an empty
    /// result means the peer closed the stream.
    func readAvailable(maximum: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: maximum)
        let received = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard received >= 0 else { throw QKDError(.storage, "device stream failed (\(String(cString: strerror(errno))))") }
        return Array(bytes.prefix(received))
    }

    /// Reads one length-prefixed frame, or nil at the end of the stream.
    func readFrame(limit: Int) throws -> [UInt8]? {
        guard let prefix = try read(exactly: 4) else { return nil }
        let length = Int(prefix.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard length <= limit else { throw QKDError(.malformedInput, "corrupt device frame: declared length \(length) exceeds \(limit) bytes") }
        guard let body = try read(exactly: length) else { throw QKDError(.malformedInput, "device stream ended inside a frame") }
        return body
    }

    /// Writes one length-prefixed frame.
    func writeFrame(_ frame: [UInt8]) throws {
        let length = UInt32(frame.count)
        try write([UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + frame)
    }

    /// Shuts the connection down in both directions (wakes a blocked reader; later writes fail).
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Ends the sending direction only: the peer reads the end of the stream after the data
    /// already sent, and can still write.
    func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }
}
