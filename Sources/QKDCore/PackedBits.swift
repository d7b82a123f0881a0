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

    /// The parities of the consecutive blocks of `blockSize` bits that cover bits `0..<length`
    /// of `words` (the last block may be shorter): bit `b` of `target` is block `b`'s parity,
    /// and the bits past the last block are cleared. `target` must hold `⌈blockCount / 64⌉`
    /// words. Power-of-two blocks below 64 bits are folded a word at a time (`x ^= x >> s` for
    /// `s = blockSize / 2, …, 1` leaves each block's parity at its first bit); blocks of whole
    /// words XOR their words; other sizes take one range parity per block.
    public static func blockParities(
        _ words: UnsafeBufferPointer<UInt64>, length: Int, blockSize: Int, into target: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(length >= 0 && blockSize > 0 && words.count >= (length + 63) >> 6, "block parities need the words of every block")
        let blockCount = (length + blockSize - 1) / blockSize
        precondition(target.count == (blockCount + 63) >> 6, "block parities target has the wrong word count")
        for index in 0..<target.count { target[index] = 0 }
        let wordCount = (length + 63) >> 6
        /// Word `index` of the bits, with the bits past `length` cleared.
        func word(_ index: Int) -> UInt64 {
            index == wordCount - 1 && length & 63 != 0 ? words[index] & maskBelow(length & 63) : words[index]
        }
        if blockSize < 64 && blockSize.nonzeroBitCount == 1 {
            let blocksPerWord = 64 / blockSize
            for index in 0..<wordCount {
                var folded = word(index)
                var shift = blockSize >> 1
                while shift > 0 {
                    folded ^= folded &>> UInt64(shift)
                    shift >>= 1
                }
                var packed: UInt64 = 0
                for block in 0..<blocksPerWord {
                    packed |= (folded &>> UInt64(block &* blockSize) & 1) &<< UInt64(block)
                }
                let firstBlock = index * blocksPerWord
                target[firstBlock >> 6] |= packed &<< UInt64(firstBlock & 63)
            }
        } else if blockSize & 63 == 0 {
            let wordsPerBlock = blockSize >> 6
            for block in 0..<blockCount {
                var folded: UInt64 = 0
                for index in block * wordsPerBlock..<min((block + 1) * wordsPerBlock, wordCount) { folded ^= word(index) }
                target[block >> 6] |= UInt64(folded.nonzeroBitCount & 1) &<< UInt64(block & 63)
            }
        } else {
            for block in 0..<blockCount {
                let bit: UInt64 = parity(words, block * blockSize..<min((block + 1) * blockSize, length)) ? 1 : 0
                target[block >> 6] |= bit &<< UInt64(block & 63)
            }
        }
    }

    /// Copies bits `offset..<offset + count` of `source` to bits `0..<count` of `target`,
    /// clearing the target's bits past `count`; `target` must hold `⌈count / 64⌉` words.
    public static func copyBits(
        _ source: UnsafeBufferPointer<UInt64>, from offset: Int, count: Int, into target: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(offset >= 0 && count >= 0 && source.count * 64 >= offset + count, "bit copy outside the source")
        precondition(target.count == (count + 63) >> 6, "bit copy target has the wrong word count")
        let shift = offset & 63
        let sourceWord = offset >> 6
        for index in 0..<target.count {
            var value = source[sourceWord + index] >> UInt64(shift)
            if shift != 0 && sourceWord + index + 1 < source.count {
                value |= source[sourceWord + index + 1] << UInt64(64 - shift)
            }
            let remaining = count - index * 64
            target[index] = remaining < 64 ? value & maskBelow(remaining) : value
        }
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
    ///
    /// Without branches (the rank and the word are data a branch would mispredict), broadword
    /// in the manner of S. Vigna, "Broadword implementation of rank/select queries" (WEA 2008):
    /// the byte popcounts, summed by one multiplication into running counts per byte, are
    /// compared with the rank in every byte at once to find the byte holding the bit; that
    /// byte's bits, spread one per byte and summed the same way, give the bit inside it.
    @inlinable @inline(__always)
    public static func select(_ word: UInt64, rank: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var counts = word &- ((word &>> 1) & 0x5555_5555_5555_5555)
        counts = (counts & 0x3333_3333_3333_3333) &+ ((counts &>> 2) & 0x3333_3333_3333_3333)
        counts = (counts &+ (counts &>> 4)) & 0x0F0F_0F0F_0F0F_0F0F
        // Byte i: the ones in bytes 0...i (at most 64, so no byte overflows).
        let running = counts &* ones
        let target = UInt64(truncatingIfNeeded: rank) &* ones
        // The high bit of byte i is set when the ones up to it are at most `rank`: bytes before
        // the one holding the bit.
        let before = (((target | highs) &- running) & highs) &>> 7
        let byteShift = ((before &* ones) &>> 56) &<< 3
        let rankInByte = UInt64(truncatingIfNeeded: rank) &- (((running &<< 8) &>> byteShift) & 0xFF)
        // The byte's bits one per byte, then the same count.
        let byte = (word &>> byteShift) & 0xFF
        let spread = (((byte &* ones) & 0x8040_2010_0804_0201) &+ 0x7F7F_7F7F_7F7F_7F7F) &>> 7 & ones
        let bitsBefore = ((((rankInByte &* ones) | highs) &- (spread &* ones)) & highs) &>> 7
        return Int(truncatingIfNeeded: byteShift &+ ((bitsBefore &* ones) &>> 56))
    }
}
