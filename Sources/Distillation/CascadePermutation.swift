import QKDCore

/// The reordering of the key that one Cascade pass works in.
///
/// Pass 0 uses the identity order. Pass `i > 0` uses a uniformly random permutation drawn from
/// `SeededGenerator(seed: permutationSeed, stream: "cascade-pass-i")`, so Alice and Bob derive
/// the same order. It is drawn cache-friendly by the Rao-Sandelius method (C. R. Rao 1961,
/// M. Sandelius 1962): every index gets a uniform label in `0..<64` (the low six bits of each byte, eight per 64-bit
/// draw), indices are stably grouped by label, and each group is Fisher-Yates shuffled with
/// unbiased bounded draws (Lemire 2019, two 32-bit draws per 64-bit word). Uniform labels and
/// uniform shuffles within groups give a uniform permutation. Everything is specified here
/// rather than left to the standard library, whose random algorithms may change between
/// Swift releases.
///
/// Position `p` of the permuted key holds bit `originalIndex(atPosition: p)` of the key.
public struct CascadePermutation: Sendable {
    /// The number of bits permuted.
    public let length: Int
    /// Whether this is the identity order (pass 0).
    public let isIdentity: Bool
    /// `originalIndices[p]` is the key index placed at permuted position `p`; empty for the identity.
    let originalIndices: [UInt32]
    /// `permutedPositions[i]` is the permuted position of key index `i`; empty for the identity.
    let permutedPositions: [UInt32]

    /// The largest key length a permutation supports (indices are stored as `UInt32`).
    public static let maximumLength = Int(UInt32.max)

    /// Derives the order used by pass `pass` for a key of `length` bits.
    ///
    /// - Parameter includeInverse: whether to also build the map from key index to permuted
    ///   position (Bob needs it to propagate corrections; Alice does not).
    public init(length: Int, seed: UInt64, pass: Int, includeInverse: Bool) {
        precondition(length >= 0 && length <= Self.maximumLength, "permutation length out of range")
        self.length = length
        isIdentity = pass == 0
        guard pass > 0 else {
            originalIndices = []
            permutedPositions = []
            return
        }
        let order = Self.randomOrder(
            length: length, generator: SeededGenerator(seed: seed, stream: "cascade-pass-\(pass)"))
        originalIndices = order
        if includeInverse {
            var inverse = [UInt32](repeating: 0, count: length)
            inverse.withUnsafeMutableBufferPointer { inverseBuffer in
                order.withUnsafeBufferPointer { orderBuffer in
                    for position in 0..<length {
                        inverseBuffer[Int(orderBuffer[position])] = UInt32(truncatingIfNeeded: position)
                    }
                }
            }
            permutedPositions = inverse
        } else {
            permutedPositions = []
        }
    }

    /// The key index stored at permuted position `position`.
    @inline(__always)
    public func originalIndex(atPosition position: Int) -> Int {
        isIdentity ? position : Int(originalIndices[position])
    }

    /// The permuted position of key index `index`; requires the inverse to have been built.
    @inline(__always)
    public func position(ofOriginalIndex index: Int) -> Int {
        if isIdentity { return index }
        precondition(!permutedPositions.isEmpty, "permutation was built without its inverse")
        return Int(permutedPositions[index])
    }

    /// Rearranges packed key words into this order through the index table (`PackedBits.gather`):
    /// bit `p` of `target` becomes bit `originalIndex(atPosition: p)` of `key`. Both hold
    /// `⌈length / 64⌉` words.
    public func apply(words key: [UInt64], into target: inout [UInt64]) {
        precondition(key.count == (length + 63) >> 6 && target.count == key.count, "key words do not match permutation length")
        if isIdentity {
            target = key
            return
        }
        key.withUnsafeBufferPointer { source in
            originalIndices.withUnsafeBufferPointer { order in
                target.withUnsafeMutableBufferPointer { PackedBits.gather(source, indices: order, into: $0) }
            }
        }
    }

    /// The number of label groups of the Rao-Sandelius shuffle (a power of two up to 256).
    private static let groupCount = 64

    /// A uniformly random order of `0..<length` (see the type's documentation).
    private static func randomOrder(length: Int, generator: SeededGenerator) -> [UInt32] {
        var draws = ThirtyTwoBitDraws(generator: generator)
        var labels = [UInt8](repeating: 0, count: length)
        var groupEnds = [Int](repeating: 0, count: groupCount)
        labels.withUnsafeMutableBytes { labelBytes in
            var offset = 0
            while offset < length {
                var word = draws.generator.next()
                for byteIndex in offset..<min(offset + 8, length) {
                    labelBytes[byteIndex] = UInt8(truncatingIfNeeded: word) & UInt8(groupCount - 1)
                    word >>= 8
                }
                offset += 8
            }
        }
        for label in labels { groupEnds[Int(label)] += 1 }
        var groupStarts = [Int](repeating: 0, count: groupCount)
        var total = 0
        for group in 0..<groupCount {
            groupStarts[group] = total
            total += groupEnds[group]
            groupEnds[group] = total
        }
        return [UInt32](unsafeUninitializedCapacity: length) { order, initialized in
            var nextSlot = groupStarts
            for (index, label) in labels.enumerated() {
                order[nextSlot[Int(label)]] = UInt32(truncatingIfNeeded: index)
                nextSlot[Int(label)] += 1
            }
            for group in 0..<groupCount {
                let groupStart = groupStarts[group]
                var remaining = groupEnds[group] - groupStart
                while remaining > 1 {
                    let chosen = Int(draws.uniformBelow(UInt32(remaining)))
                    remaining -= 1
                    order.swapAt(groupStart + remaining, groupStart + chosen)
                }
            }
            initialized = length
        }
    }
}

/// Unbiased bounded 32-bit draws, two per 64-bit output of a `SeededGenerator` (low half first).
struct ThirtyTwoBitDraws {
    /// The underlying generator.
    var generator: SeededGenerator
    /// The unused high half of the last 64-bit draw, if any.
    private var spareHalf: UInt32?

    init(generator: SeededGenerator) {
        self.generator = generator
    }

    /// The next 32 random bits.
    mutating func next() -> UInt32 {
        if let half = spareHalf {
            spareHalf = nil
            return half
        }
        let word = generator.next()
        spareHalf = UInt32(truncatingIfNeeded: word >> 32)
        return UInt32(truncatingIfNeeded: word)
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-and-reject method (Lemire 2019,
    /// "Fast random integer generation in an interval", ACM TOMACS 29(1)).
    mutating func uniformBelow(_ bound: UInt32) -> UInt32 {
        var product = UInt64(next()) * UInt64(bound)
        if UInt32(truncatingIfNeeded: product) < bound {
            let threshold = (0 &- bound) % bound
            while UInt32(truncatingIfNeeded: product) < threshold {
                product = UInt64(next()) * UInt64(bound)
            }
        }
        return UInt32(truncatingIfNeeded: product >> 32)
    }
}
