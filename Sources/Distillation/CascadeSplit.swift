import QKDCore

/// The order of a Cascade pass that splits the key into two random halves: a random subset
/// `S` (every key index a member with probability 1/2, independently) in index order, followed by
/// its complement in index order. Its two blocks are `S` and the complement.
///
/// This is how this implementation realises the passes whose block size is half the key in
/// "Cascade opt. (7)" (Martinez-Mateo et al. 2015, arXiv:1407.3257, Sec. 5): such a pass only
/// needs a random two-block partition, and a random subset reveals an odd number of remaining
/// errors in `S` with probability exactly 1/2 whatever their number (the property that
/// BICONF, Brassard and Salvail 1994, relies on). Parities of any stretch of either block are
/// computed over the key in its original order through the subset's bit mask, so the pass never
/// rearranges the key: a position is mapped to a key index by a rank table and a select.
///
/// Immutable once built; its tables live in raw memory so that the hot loops read them without
/// reference counting (hence `@unchecked Sendable`).
final class CascadeSplit: @unchecked Sendable {
    /// The number of members of `S` (the first block's length).
    let memberCount: Int
    /// Words per mask, `⌈length / 64⌉`.
    private let wordCount: Int
    /// The mask selecting `S` (words `0..<wordCount`; bit `i` set when key index `i` is in
    /// the first block) followed by the mask selecting its complement (words
    /// `wordCount..<2 wordCount`); bits past `length` cleared.
    let masks: UnsafeMutablePointer<UInt64>
    /// Per side, `wordCount + 1` entries: the side's members in words `0..<w`.
    private let ranks: UnsafeMutablePointer<Int32>

    /// The split of an empty key (a placeholder for passes that are not split).
    static let empty: CascadeSplit = {
        var generator = SeededGenerator(seed: 0)
        return CascadeSplit(length: 0, generator: &generator)
    }()

    /// Draws the subset of the key's `length` indices from `generator` (one 64-bit draw per word).
    init(length: Int, generator: inout SeededGenerator) {
        let wordCount = (length + 63) >> 6
        self.wordCount = wordCount
        let tailMask: UInt64 = length & 63 == 0 ? ~0 : (1 << UInt64(length & 63)) - 1
        masks = .allocate(capacity: max(1, 2 * wordCount))
        for index in 0..<wordCount {
            let valid = index == wordCount - 1 ? tailMask : ~0
            let word = generator.next() & valid
            masks[index] = word
            masks[wordCount + index] = ~word & valid
        }
        ranks = .allocate(capacity: 2 * (wordCount + 1))
        for side in 0..<2 {
            let base = side * (wordCount + 1)
            ranks[base] = 0
            for index in 0..<wordCount {
                ranks[base + index + 1] = ranks[base + index] + Int32(masks[side * wordCount + index].nonzeroBitCount)
            }
        }
        memberCount = Int(ranks[wordCount])
    }

    deinit {
        masks.deallocate()
        ranks.deallocate()
    }

    /// The key index at position `position` of the pass's order.
    func originalIndex(atPosition position: Int) -> Int {
        position < memberCount ? select(side: 0, rank: position) : select(side: 1, rank: position - memberCount)
    }

    /// The parity of positions `range` of the pass's order, for a key in original order.
    func parity(of key: UnsafeBufferPointer<UInt64>, positions range: Range<Int>) -> Bool {
        var result = false
        if range.lowerBound < memberCount {
            result = sideParity(key, side: 0, ranks: range.lowerBound..<min(range.upperBound, memberCount))
        }
        if range.upperBound > memberCount {
            let lower = max(range.lowerBound, memberCount) - memberCount
            result = result != sideParity(key, side: 1, ranks: lower..<(range.upperBound - memberCount))
        }
        return result
    }

    /// The parity of the members of side `side` whose rank lies in `ranks`.
    private func sideParity(_ key: UnsafeBufferPointer<UInt64>, side: Int, ranks rankRange: Range<Int>) -> Bool {
        if rankRange.isEmpty { return false }
        let first = select(side: side, rank: rankRange.lowerBound)
        let last = select(side: side, rank: rankRange.upperBound - 1)
        let mask = UnsafeBufferPointer(start: masks + side * wordCount, count: wordCount)
        return PackedBits.parity(key, masked: mask, first..<(last + 1))
    }

    /// The key index of the member of side `side` with rank `rank` (binary search over the
    /// word rank table, then a select within the word).
    private func select(side: Int, rank: Int) -> Int {
        let table = ranks + side * (wordCount + 1)
        var low = 0
        var high = wordCount
        // Invariant: table[low] <= rank < table[high].
        while high - low > 1 {
            let middle = (low + high) >> 1
            if Int(table[middle]) <= rank { low = middle } else { high = middle }
        }
        return (low << 6) + PackedBits.select(masks[side * wordCount + low], rank: rank - Int(table[low]))
    }
}
