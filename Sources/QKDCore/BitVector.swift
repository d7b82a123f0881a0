/// A fixed-length sequence of bits packed into `UInt64` words, least-significant bit first.
///
/// Bit `i` lives in word `i / 64` at bit position `i % 64`. Bits past `count` in the last word
/// are always zero, so word-level operations (XOR, popcount, equality) never see stale bits.
public struct BitVector: Sendable, Hashable {
    /// The packed words; `words.count == (count + 63) / 64`.
    public private(set) var words: [UInt64]
    /// The number of bits.
    public let count: Int

    /// Creates `count` zero bits.
    public init(count: Int) {
        precondition(count >= 0, "BitVector count must be non-negative")
        self.count = count
        self.words = [UInt64](repeating: 0, count: (count + 63) >> 6)
    }

    /// Creates a vector from packed words; bits past `count` are cleared.
    public init(words: [UInt64], count: Int) {
        precondition(words.count == (count + 63) >> 6, "word count does not match bit count")
        self.count = count
        self.words = words
        clearTail()
    }

    /// Creates a vector from booleans (one per bit).
    public init<S: Sequence>(bits: S) where S.Element == Bool {
        let array = Array(bits)
        self.init(count: array.count)
        for (index, bit) in array.enumerated() where bit { self[index] = true }
    }

    /// Creates `count` bits drawn from `generator`.
    public init<G: RandomNumberGenerator>(randomCount count: Int, using generator: inout G) {
        self.init(count: count)
        for index in words.indices { words[index] = generator.next() }
        clearTail()
    }

    /// Reads or writes bit `index`.
    public subscript(index: Int) -> Bool {
        get {
            precondition(index >= 0 && index < count, "bit index out of range")
            return (words[index >> 6] >> UInt64(index & 63)) & 1 == 1
        }
        set {
            precondition(index >= 0 && index < count, "bit index out of range")
            let mask: UInt64 = 1 << UInt64(index & 63)
            if newValue { words[index >> 6] |= mask } else { words[index >> 6] &= ~mask }
        }
    }

    /// Flips bit `index`.
    public mutating func flip(_ index: Int) {
        precondition(index >= 0 && index < count, "bit index out of range")
        words[index >> 6] ^= 1 << UInt64(index & 63)
    }

    /// The number of one bits.
    public var popcount: Int {
        words.withUnsafeBufferPointer { PackedBits.popcount($0) }
    }

    /// The parity (XOR of all bits).
    public var parity: Bool { parity(of: 0..<count) }

    /// The parity of the bits in `range`, computed a word at a time (`PackedBits.parity`).
    public func parity(of range: Range<Int>) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "parity range out of bounds")
        return words.withUnsafeBufferPointer { PackedBits.parity($0, range) }
    }

    /// The number of positions where `self` and `other` differ.
    public func hammingDistance(to other: BitVector) -> Int {
        precondition(count == other.count, "hamming distance needs equal lengths")
        var total = 0
        for index in words.indices { total += (words[index] ^ other.words[index]).nonzeroBitCount }
        return total
    }

    /// XORs `other` into `self`.
    public static func ^= (lhs: inout BitVector, rhs: BitVector) {
        precondition(lhs.count == rhs.count, "XOR needs equal lengths")
        rhs.words.withUnsafeBufferPointer { source in
            lhs.words.withUnsafeMutableBufferPointer { PackedBits.xor(source, into: $0) }
        }
    }

    /// The bits `range` as a new vector.
    public func slice(_ range: Range<Int>) -> BitVector {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "slice out of bounds")
        var result = BitVector(count: range.count)
        let shift = range.lowerBound & 63
        let base = range.lowerBound >> 6
        for index in result.words.indices {
            var word = words[base + index] >> UInt64(shift)
            if shift != 0, base + index + 1 < words.count {
                word |= words[base + index + 1] << UInt64(64 - shift)
            }
            result.words[index] = word
        }
        result.clearTail()
        return result
    }

    /// The bits as bytes, most significant bit of each byte first (bit 0 is the MSB of byte 0).
    public var bytesMSBFirst: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (count + 7) >> 3)
        for index in 0..<count where self[index] { bytes[index >> 3] |= 0x80 >> UInt8(index & 7) }
        return bytes
    }

    /// Creates `count` bits from bytes, most significant bit of each byte first.
    public init(bytesMSBFirst bytes: [UInt8], count: Int) {
        precondition(bytes.count * 8 >= count, "not enough bytes for the bit count")
        self.init(count: count)
        for index in 0..<count where bytes[index >> 3] & (0x80 >> UInt8(index & 7)) != 0 {
            words[index >> 6] |= 1 << UInt64(index & 63)
        }
    }

    private mutating func clearTail() {
        let used = count & 63
        guard used != 0 else { return }
        let mask: UInt64 = (1 << UInt64(used)) - 1
        // Writes only when needed, so that clean words shared with another array stay shared.
        if words[words.count - 1] & ~mask != 0 { words[words.count - 1] &= mask }
    }
}

extension BitVector: CustomStringConvertible {
    /// The bits as a string of `0` and `1`, bit 0 first.
    public var description: String {
        String((0..<count).map { self[$0] ? "1" : "0" })
    }
}
