import Foundation
import QKDCore

/// A file of bits as exchanged with other extractor implementations.
///
/// `text`: ASCII `0` and `1`, bit 0 first; spaces, tabs and line breaks are ignored; anything
/// else is an error. `binary`: packed bytes, bit 0 in the most significant bit of byte 0; the
/// last byte is padded with zero bits when written, and its padding is ignored when read. A file must hold exactly the bits asked for (binary: exactly
/// `⌈count / 8⌉` bytes), so that a mistaken length is never silently truncated or padded.
public enum BitFile: String, Sendable {
    /// ASCII `0`/`1` text, whitespace ignored.
    case text
    /// Packed bytes, most significant bit first.
    case binary

    /// Reads exactly `count` bits from `path`; `role` names the file in errors (e.g. "seed file").
    /// Throws `QKDError.notFound` if it cannot be read and `QKDError.malformedInput` if it holds
    /// another number of bits or (text) a character other than 0, 1 or whitespace.
    public func read(path: String, count: Int, role: String) throws -> BitVector {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QKDError(.notFound, "\(role) \(path) cannot be read")
        }
        switch self {
        case .text: return try Self.parseText([UInt8](data), count: count, role: "\(role) \(path)")
        case .binary: return try Self.parseBinary([UInt8](data), count: count, role: "\(role) \(path)")
        }
    }

    /// Writes `bits` to `path`, or to standard output if `path` is nil (text ends with a line break).
    /// Throws `QKDError.storage` if the file cannot be written.
    public func write(_ bits: BitVector, path: String?) throws {
        let data = Data(encoded(bits))
        guard let path else {
            FileHandle.standardOutput.write(data)
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw QKDError(.storage, "output file \(path) cannot be written")
        }
    }

    /// The bytes of `bits` in this format.
    public func encoded(_ bits: BitVector) -> [UInt8] {
        switch self {
        case .text:
            var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: bits.count + 1)
            bits.words.withUnsafeBufferPointer { words in
                for index in 0..<bits.count where (words[index >> 6] >> UInt64(index & 63)) & 1 == 1 {
                    bytes[index] = UInt8(ascii: "1")
                }
            }
            bytes[bits.count] = UInt8(ascii: "\n")
            return bytes
        case .binary:
            var bytes = [UInt8](repeating: 0, count: (bits.count + 7) >> 3)
            bits.words.withUnsafeBufferPointer { words in
                for index in bytes.indices {
                    // Byte k holds bits 8k ..< 8k + 8 (LSB first in the word), stored MSB first.
                    let byte = UInt8(truncatingIfNeeded: words[index >> 3] >> UInt64((index & 7) * 8))
                    bytes[index] = Self.reversedBits(byte)
                }
            }
            return bytes
        }
    }

    static func parseText(_ bytes: [UInt8], count: Int, role: String) throws -> BitVector {
        var words = [UInt64](repeating: 0, count: (count + 63) >> 6)
        var bitIndex = 0
        for (offset, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "0"), UInt8(ascii: "1"):
                if bitIndex < count, byte == UInt8(ascii: "1") {
                    words[bitIndex >> 6] |= 1 << UInt64(bitIndex & 63)
                }
                bitIndex += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            default:
                let shown = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                throw QKDError(.malformedInput, "\(role) has \(shown) at offset \(offset); only 0, 1 and whitespace are allowed")
            }
        }
        guard bitIndex == count else {
            throw QKDError(.malformedInput, "\(role) has \(bitIndex) bits but \(count) are needed")
        }
        return BitVector(words: words, count: count)
    }

    static func parseBinary(_ bytes: [UInt8], count: Int, role: String) throws -> BitVector {
        let needed = (count + 7) >> 3
        guard bytes.count == needed else {
            throw QKDError(.malformedInput, "\(role) has \(bytes.count) bytes (\(bytes.count * 8) bits) but \(count) bits need \(needed) bytes")
        }
        var words = [UInt64](repeating: 0, count: (count + 63) >> 6)
        for (index, byte) in bytes.enumerated() {
            words[index >> 3] |= UInt64(reversedBits(byte)) << UInt64((index & 7) * 8)
        }
        return BitVector(words: words, count: count)
    }

    private static func reversedBits(_ byte: UInt8) -> UInt8 {
        var value = byte
        value = (value >> 4) | (value << 4)
        value = ((value >> 2) & 0x33) | ((value & 0x33) << 2)
        value = ((value >> 1) & 0x55) | ((value & 0x55) << 1)
        return value
    }
}
