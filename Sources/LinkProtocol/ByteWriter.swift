import QKDCore

/// Appends big-endian integers and length-prefixed fields to a byte buffer.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Creates an empty writer.
    public init() {}

    /// Appends one byte.
    public mutating func write(_ value: UInt8) { bytes.append(value) }

    /// Appends a 32-bit integer, big-endian.
    public mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Appends a 64-bit integer, big-endian.
    public mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Appends a non-negative integer as a 64-bit value.
    public mutating func write(count value: Int) { write(UInt64(value)) }

    /// Appends an unsigned LEB128 variable-length integer (compact for small slot gaps).
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(remaining & 0x7F) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends a bit vector: its length, then its packed words.
    public mutating func write(_ bits: BitVector) {
        write(count: bits.count)
        for word in bits.words { write(word) }
    }

    /// Appends a length-prefixed byte string.
    public mutating func write(bytes value: [UInt8]) {
        write(count: value.count)
        bytes.append(contentsOf: value)
    }
}
