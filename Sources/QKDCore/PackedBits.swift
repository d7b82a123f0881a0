import CPackedBits

/// Word-level operations on bits packed into `UInt64` words, least-significant bit first (bit `i`
/// lives in word `i >> 6` at position `i & 63`, as in `BitVector`).
///
/// They work on unsafe buffers so that hot loops (Cascade's parities, searches and permutations)
/// run without bounds checks or copies; callers guarantee the ranges lie inside the buffers.
public enum PackedBits {
    /// The bits of a word at positions `lower..<64` (`lower` in `0...63`).
    @inlinable @inline(__always)
    static func maskFrom(_ lower: Int) -> UInt64 { ~0 &<< UInt64(truncatingIfNeeded: lower) }

    /// The bits of a word at positions `0..<upper` (`upper` in `1...64`).
    @inlinable @inline(__always)
    static func maskBelow(_ upper: Int) -> UInt64 { ~0 &>> UInt64(truncatingIfNeeded: 64 - upper) }

    /// The parity (XOR) of bits `range` of `words`, a word at a time.
    @inlinable @inline(__always)
    public static func parity(_ words: UnsafeBufferPointer<UInt64>, _ range: Range<Int>) -> Bool {
        xorOfWords(words, range).nonzeroBitCount & 1 == 1
    }

    /// The parity of the bits `range` of `words AND mask`: the parity of the positions in
    /// `range` that `mask` selects.
    @inlinable @inline(__always)
    public static func parity(
        _ words: UnsafeBufferPointer<UInt64>, masked mask: UnsafeBufferPointer<UInt64>, _ range: Range<Int>
    ) -> Bool {
        if range.isEmpty { return false }
        let first = range.lowerBound >> 6
        let last = (range.upperBound - 1) >> 6
        if first == last {
            let word = words[first] & mask[first] & maskFrom(range.lowerBound & 63)
                & maskBelow(range.upperBound - (last << 6))
            return word.nonzeroBitCount & 1 == 1
        }
        var accumulator = words[first] & mask[first] & maskFrom(range.lowerBound & 63)
        var index = first + 1
        while index < last {
            accumulator ^= words[index] & mask[index]
            index += 1
        }
        accumulator ^= words[last] & mask[last] & maskBelow(range.upperBound - (last << 6))
        return accumulator.nonzeroBitCount & 1 == 1
    }

    /// The XOR of the words covering `range`, with the bits outside `range` cleared; its
    /// popcount's parity is the range's parity.
    @inlinable @inline(__always)
    static func xorOfWords(_ words: UnsafeBufferPointer<UInt64>, _ range: Range<Int>) -> UInt64 {
        if range.isEmpty { return 0 }
        let first = range.lowerBound >> 6
        let last = (range.upperBound - 1) >> 6
        if first == last {
            return words[first] & maskFrom(range.lowerBound & 63) & maskBelow(range.upperBound - (last << 6))
        }
        var accumulator = words[first] & maskFrom(range.lowerBound & 63)
        var index = first + 1
        while index < last {
            accumulator ^= words[index]
            index += 1
        }
        return accumulator ^ (words[last] & maskBelow(range.upperBound - (last << 6)))
    }

    /// The number of one bits in `words`.
    @inlinable
    public static func popcount(_ words: UnsafeBufferPointer<UInt64>) -> Int {
        var total = 0
        for word in words { total &+= word.nonzeroBitCount }
        return total
    }

    /// XORs `source` into `target` word by word (equal lengths).
    @inlinable
    public static func xor(_ source: UnsafeBufferPointer<UInt64>, into target: UnsafeMutableBufferPointer<UInt64>) {
        precondition(source.count == target.count, "XOR needs equal word counts")
        for index in 0..<target.count { target[index] ^= source[index] }
    }

    /// Gathers bits through an index table: bit `p` of `target` becomes bit `indices[p]` of
    /// `source`, for `p` in `0..<indices.count`. `target` must hold `⌈indices.count / 64⌉` words;
    /// its bits past `indices.count` are cleared; every index must lie inside `source`.
    ///
    /// Runs the C kernel `cpackedbits_gather`: eight bits per AVX-512 vector gather when the CPU
    /// has AVX-512F and `usingVectorUnit` is true (the default), else one bit at a time; both
    /// give the same words.
    public static func gather(
        _ source: UnsafeBufferPointer<UInt64>, indices: UnsafeBufferPointer<UInt32>,
        into target: UnsafeMutableBufferPointer<UInt64>, usingVectorUnit: Bool = true
    ) {
        let count = indices.count
        precondition(target.count == (count + 63) >> 6, "gather target has the wrong word count")
        guard count > 0, let targetWords = target.baseAddress, let sourceWords = source.baseAddress,
              let indexTable = indices.baseAddress else { return }
        cpackedbits_gather(targetWords, sourceWords, indexTable, count, usingVectorUnit)
    }

    /// The position (`0...63`) of the one bit of `word` that has `rank` one bits below it;
    /// `rank` must be below `word.nonzeroBitCount`.
    @inlinable @inline(__always)
    public static func select(_ word: UInt64, rank: Int) -> Int {
        var remaining = word
        var skip = rank
        // Skip whole bytes first, then single bits.
        var base = 0
        while true {
            let byteCount = Int((remaining & 0xFF).nonzeroBitCount)
            if skip < byteCount { break }
            skip -= byteCount
            remaining >>= 8
            base += 8
        }
        while skip > 0 {
            remaining &= remaining &- 1
            skip -= 1
        }
        return base + remaining.trailingZeroBitCount
    }
}
