import QKDCore

/// The secret key that authenticates the classical channel: a hash key and, per direction, a
/// stream of 64-bit one-time pads, identical on both nodes.
///
/// It starts from the pre-shared bootstrap key (its first 8 bytes are the hash key, the rest is
/// split in two halves, one per direction) and grows by the reserved slice of every committed
/// block (again split in halves), in commit order. Pads are addressed by index within their
/// direction's stream; the owner decides which indices are spent and never hands one out twice.
public final class AuthenticationKeyPool {
    /// Bytes of pad per tag.
    public static let padByteCount = 8

    /// The authenticator keyed by the bootstrap key's hash key.
    public let authenticator: WegmanCarterAuthenticator
    private var streams: [[UInt8]] = [[], []]
    private var padsAfterSegment: [[Int]] = [[], []]

    /// Creates a pool from a bootstrap key of at least 24 bytes.
    public init(bootstrap: [UInt8]) throws {
        guard bootstrap.count >= 8 + 2 * Self.padByteCount else {
            throw QKDError(.invalidParameter, "bootstrap key of \(bootstrap.count) bytes is too short (at least 24 bytes)")
        }
        authenticator = WegmanCarterAuthenticator(secretBits: bootstrap.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
        append(segment: Array(bootstrap.dropFirst(8)))
    }

    /// Segments held (the bootstrap and one per committed block).
    public var segmentCount: Int { padsAfterSegment[0].count }

    /// Appends a segment; its bytes are split in two halves of whole pads (a trailing odd pad is
    /// dropped so both halves stay equal).
    public func append(segment: [UInt8]) {
        let padsPerHalf = segment.count / (2 * Self.padByteCount)
        let half = padsPerHalf * Self.padByteCount
        streams[0] += segment[0..<half]
        streams[1] += segment[half..<2 * half]
        for direction in 0..<2 { padsAfterSegment[direction].append(streams[direction].count / Self.padByteCount) }
    }

    /// Pads of `direction` held in the first `segments` segments.
    public func padCount(_ direction: LinkDirection, segments: Int) -> Int {
        let ends = padsAfterSegment[Int(direction.rawValue)]
        guard segments > 0, !ends.isEmpty else { return 0 }
        return ends[min(segments, ends.count) - 1]
    }

    /// The pad with index `index` of `direction`, or nil if the pool does not hold it.
    public func pad(_ direction: LinkDirection, index: UInt64) -> UInt64? {
        let stream = streams[Int(direction.rawValue)]
        guard index < UInt64(stream.count / Self.padByteCount) else { return nil }
        let start = Int(index) * Self.padByteCount
        return stream[start..<start + Self.padByteCount].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
