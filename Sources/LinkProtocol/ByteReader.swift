import QKDCore

/// Reads what `ByteWriter` wrote, refusing truncated or oversized fields with a `QKDError` that
/// names the field.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    private var offset = 0

    /// Creates a reader over `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ field: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw QKDError(.malformedInput, "message truncated: \(field) needs \(count) bytes, \(remaining) left")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// Reads one byte.
    public mutating func readByte(_ field: String) throws -> UInt8 { try take(1, field).first! }

    /// Reads a big-endian 32-bit integer.
    public mutating func readUInt32(_ field: String) throws -> UInt32 {
        try take(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Reads a big-endian 64-bit integer.
    public mutating func readUInt64(_ field: String) throws -> UInt64 {
        try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Reads a count, refusing one larger than `limit` (so a hostile length cannot make the
    /// reader allocate without bound).
    public mutating func readCount(_ field: String, limit: Int) throws -> Int {
        let value = try readUInt64(field)
        guard value <= UInt64(limit) else {
            throw QKDError(.malformedInput, "\(field) of \(value) exceeds the limit of \(limit)")
        }
        return Int(value)
    }

    /// Reads an unsigned LEB128 variable-length integer.
    public mutating func readVarint(_ field: String) throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte(field)
            guard shift < 64 else { throw QKDError(.malformedInput, "\(field) is not a valid varint") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// Reads a bit vector of at most `limit` bits.
    public mutating func readBitVector(_ field: String, limit: Int) throws -> BitVector {
        let count = try readCount("\(field) length", limit: limit)
        let wordCount = (count + 63) / 64
        guard wordCount * 8 <= remaining else {
            throw QKDError(.malformedInput, "message truncated: \(field) needs \(wordCount * 8) bytes, \(remaining) left")
        }
        var words = [UInt64]()
        words.reserveCapacity(wordCount)
        for _ in 0..<wordCount { words.append(try readUInt64(field)) }
        return BitVector(words: words, count: count)
    }

    /// Reads a length-prefixed byte string of at most `limit` bytes.
    public mutating func readBytes(_ field: String, limit: Int) throws -> [UInt8] {
        let count = try readCount("\(field) length", limit: limit)
        return Array(try take(count, field))
    }

    /// Throws if any byte is left over.
    public func expectEnd(_ message: String) throws {
        guard remaining == 0 else {
            throw QKDError(.malformedInput, "\(message) has \(remaining) unexpected trailing bytes")
        }
    }
}
