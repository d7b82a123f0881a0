import Foundation
import QKDCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback TCP ports that nothing listens on, for processes whose configuration names its
/// neighbours' ports before any of them starts (the KMEs of `qkd pki init --network`).
enum FreePorts {
    /// The first of `count` consecutive ports, each free on 127.0.0.1 when checked (another
    /// program may still take one before it is used). They are drawn from 20000...32767, below
    /// the ephemeral ports the system hands out for port 0 (32768 and up on Linux, 49152 and up
    /// on macOS), so that the run's own processes listening on port 0 cannot take them. Throws
    /// `QKDError` `.unavailable` after 50 random tries.
    static func consecutive(count: Int) throws -> Int {
        for _ in 0..<50 {
            let first = Int.random(in: 20_000...(32_768 - count))
            if (first..<first + count).allSatisfy(isFree) { return first }
        }
        throw QKDError(.unavailable, "found no \(count) consecutive free TCP ports on 127.0.0.1 in 20000...32767")
    }

    /// Whether a socket can be bound to 127.0.0.1:`port` (it is closed again at once).
    static func isFree(_ port: Int) -> Bool {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }
}
