import QKDCore

/// What Bob knows about one Cascade pass: its order and blocks, his key in that order (for a
/// permuted pass), which blocks hold an odd number of errors, and every sub-block parity Alice
/// has disclosed.
///
/// Binary search splits a stretch `lower..<upper` of a block at `split(lower, upper)` and asks
/// only for left halves (the right half's parity follows from its parent's). The split is the
/// middle, `lower + (upper - lower) / 2`, except in a pass ranked by error likelihood
/// (`rankByErrorLikelihood(firstPass:estimatedQBER:)`), where it balances the expected errors
/// on both sides. Either way it is a function of the stretch alone, so every block's search tree
/// is fixed, and since a split point lies strictly inside its stretch, no two nodes of a pass
/// share one: Alice's parity of the left part of the node split at position `m` lives in slot `m`.
///
/// Every block keeps a search cursor: the stretch at which its last search stopped for want of
/// a parity. The path from the whole block to that stretch depends only on Alice's known
/// parities and Bob's bits inside the block, and every correction of such a bit goes through
/// `flip(originalIndex:)`, which clears the block's cursor; so resuming at the cursor takes the
/// same path as walking again from the root, without recomputing the parities above it.
///
/// A class, so that Bob's hot loops reach its tables without copying them; `CascadeBob` copies
/// it (`copy()`) before mutating a state that another copy of Bob shares, so a shared instance
/// is never mutated (hence `@unchecked Sendable`).
final class CascadePassState: @unchecked Sendable {
    /// The pass's order; keeps the tables below alive.
    private let order: CascadeLayout.Order
    /// For a permuted pass, `originalIndices[p]` is the key index at position `p` (else nil).
    private let originalIndices: UnsafePointer<UInt32>?
    /// For a permuted pass, `permutedPositions[i]` is the position of key index `i` (else nil).
    private let permutedPositions: UnsafePointer<UInt32>?
    /// For a pass ranked by error likelihood, its ranking, which orders the bits inside every
    /// block (Bob's key in the pass, `permutedKey`, is in ranked order) and sets the splits;
    /// else nil (splits in the middle).
    private var ranking: CascadeLikelihoodRanking?
    /// `ranking` without reference counting, for the hot paths.
    private var unownedRanking: Unmanaged<CascadeLikelihoodRanking>?
    /// Whether this is a split pass.
    private let isSplit: Bool
    /// The split of a split pass (an empty one otherwise), owned by `order`; unowned so that the
    /// hot paths pay no reference counting.
    private unowned(unsafe) let split: CascadeSplit
    /// The mask of the split's first block (`split.masks`), read directly by `flip`.
    private let splitMembers: UnsafePointer<UInt64>
    /// The block size of a key-order or permuted pass (the last block may be shorter).
    let blockSize: Int
    /// `log₂ blockSize` when the block size is a power of two (the tuned sizes are), else -1:
    /// the hot paths then find a position's block with a shift instead of a division.
    private let blockSizeShift: Int
    /// Where a split pass's second block starts (the key length if it has a single block).
    let splitBoundary: Int
    /// The number of blocks.
    let blockCount: Int
    /// The key length.
    let length: Int
    /// Words of Bob's key in this pass's order: `⌈length / 64⌉` for a permuted pass, else 0
    /// (key-order and split passes read Bob's key in its original order).
    private let permutedWordCount: Int
    /// Words of each left-child parity table.
    private let slotWordCount: Int
    /// One allocation holding, in order: Bob's permuted key (`permutedWordCount` words), whether
    /// Alice's parity of each tree node's left child is known (`slotWordCount` words, one bit per
    /// slot), that parity (`slotWordCount` words), per block whether Bob's parity differs
    /// from Alice's, i.e. an odd number of errors remain (one bit per block), Alice's parity of
    /// every block (one bit per block), per block the split point of its search cursor (0 for
    /// none) and the cursor's stretch (two words: lower, upper), the first word of odd-block
    /// bits that may be nonzero, the number of odd blocks, and a flag word.
    /// Raw memory, so the hot loops pay no copy-on-write or exclusivity checks. Only the
    /// odd-block, Alice-parity, cursor-split, bound and tally words are cleared up front; the
    /// known-parity bits are cleared when the pass's first search starts
    /// (`clearKnownParitiesIfNeeded()`), since most split passes never search; a parity or
    /// cursor stretch is written before its known bit or cursor split says so.
    private let storage: UnsafeMutablePointer<UInt64>
    private let storageWordCount: Int
    private let permutedKey: UnsafeMutablePointer<UInt64>
    private let isLeftParityKnown: UnsafeMutablePointer<UInt64>
    private let leftParity: UnsafeMutablePointer<UInt64>
    private let oddBlocks: UnsafeMutablePointer<UInt64>
    private let aliceBlockParities: UnsafeMutablePointer<UInt64>
    private let cursorSplits: UnsafeMutablePointer<UInt64>
    private let cursorRanges: UnsafeMutablePointer<UInt64>
    /// Nonzero once the known-parity bits have been cleared (the last word of `storage`).
    private let knownParitiesCleared: UnsafeMutablePointer<UInt64>
    /// The number of set bits in `oddBlocks` (the word before `knownParitiesCleared`).
    private let oddBlockTally: UnsafeMutablePointer<UInt64>
    /// No word of `oddBlocks` before this one has a bit set (the word before `oddBlockTally`):
    /// `firstOddBlock(from: 0)` starts there, so that finding the few odd blocks of a pass with
    /// many does not scan all its words every time.
    private let firstOddWordBound: UnsafeMutablePointer<UInt64>

    /// `advanceSearch(ofBlock:key:)`'s result when the block holds an even number of errors.
    static let blockIsEven = -2
    /// `advanceSearch(ofBlock:key:)`'s result when the search needs a parity Alice has not disclosed.
    static let searchAwaitsParity = -1

    /// Sets up the pass for Bob's current key (in original order); block parities come later.
    init(order: CascadeLayout.Order, blockSize requestedBlockSize: Int, key: [UInt64], length: Int) {
        self.length = length
        switch order {
        case .identity, .permuted:
            blockSize = requestedBlockSize
            blockCount = (length + requestedBlockSize - 1) / requestedBlockSize
            splitBoundary = length
        case .split(let split):
            blockSize = length
            let isSplit = split.memberCount > 0 && split.memberCount < length
            splitBoundary = isSplit ? split.memberCount : length
            blockCount = isSplit ? 2 : 1
        }
        slotWordCount = (length + 63) >> 6
        blockSizeShift = blockSize.nonzeroBitCount == 1 ? blockSize.trailingZeroBitCount : -1
        self.order = order
        if case .permuted(let tables) = order {
            originalIndices = UnsafePointer(tables.originalIndices)
            permutedPositions = UnsafePointer(tables.permutedPositions)
            permutedWordCount = key.count
        } else {
            originalIndices = nil
            permutedPositions = nil
            permutedWordCount = 0
        }
        if case .split(let split) = order {
            self.split = split
            isSplit = true
        } else {
            split = CascadeSplit.empty
            isSplit = false
        }
        splitMembers = UnsafePointer(split.masks)
        storageWordCount = permutedWordCount + 2 * slotWordCount + 2 * ((blockCount + 63) >> 6) + 3 * blockCount + 3
        storage = .allocate(capacity: storageWordCount)
        (permutedKey, isLeftParityKnown, leftParity, oddBlocks, aliceBlockParities, cursorSplits, cursorRanges) = Self.regions(
            of: storage, permutedWordCount: permutedWordCount, slotWordCount: slotWordCount, blockCount: blockCount)
        oddBlocks.initialize(repeating: 0, count: cursorRanges - oddBlocks)
        knownParitiesCleared = storage + storageWordCount - 1
        knownParitiesCleared.initialize(to: 0)
        oddBlockTally = storage + storageWordCount - 2
        oddBlockTally.initialize(to: 0)
        firstOddWordBound = storage + storageWordCount - 3
        firstOddWordBound.initialize(to: 0)
        if let originalIndices {
            key.withUnsafeBufferPointer { source in
                PackedBits.gather(
                    source, indices: UnsafeBufferPointer(start: originalIndices, count: length),
                    into: UnsafeMutableBufferPointer(start: storage, count: permutedWordCount))
            }
        }
    }

    /// A copy with its own mutable tables.
    private init(copying other: CascadePassState) {
        order = other.order
        originalIndices = other.originalIndices
        permutedPositions = other.permutedPositions
        ranking = other.ranking
        unownedRanking = other.unownedRanking
        split = other.split
        isSplit = other.isSplit
        splitMembers = other.splitMembers
        blockSize = other.blockSize
        blockSizeShift = other.blockSizeShift
        splitBoundary = other.splitBoundary
        blockCount = other.blockCount
        length = other.length
        permutedWordCount = other.permutedWordCount
        slotWordCount = other.slotWordCount
        storageWordCount = other.storageWordCount
        storage = .allocate(capacity: storageWordCount)
        storage.initialize(from: other.storage, count: storageWordCount)
        knownParitiesCleared = storage + storageWordCount - 1
        oddBlockTally = storage + storageWordCount - 2
        firstOddWordBound = storage + storageWordCount - 3
        (permutedKey, isLeftParityKnown, leftParity, oddBlocks, aliceBlockParities, cursorSplits, cursorRanges) = Self.regions(
            of: storage, permutedWordCount: permutedWordCount, slotWordCount: slotWordCount, blockCount: blockCount)
    }

    /// Where each table starts inside `storage` (see there for the layout).
    private static func regions(
        of storage: UnsafeMutablePointer<UInt64>, permutedWordCount: Int, slotWordCount: Int, blockCount: Int
    ) -> (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>,
          UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>,
          UnsafeMutablePointer<UInt64>) {
        let known = storage + permutedWordCount
        let parity = known + slotWordCount
        let odd = parity + slotWordCount
        let alice = odd + (blockCount + 63) >> 6
        let splits = alice + (blockCount + 63) >> 6
        return (storage, known, parity, odd, alice, splits, splits + blockCount)
    }

    /// Clears the known-parity bits before the pass's first search.
    @inline(__always)
    private func clearKnownParitiesIfNeeded() {
        guard knownParitiesCleared.pointee == 0 else { return }
        isLeftParityKnown.initialize(repeating: 0, count: slotWordCount)
        knownParitiesCleared.pointee = 1
    }

    deinit {
        storage.deallocate()
    }

    /// A copy with its own mutable tables.
    func copy() -> CascadePassState { CascadePassState(copying: self) }

    /// Whether Bob's parity of block `block` differs from Alice's (an odd number of errors remain).
    @inline(__always)
    func hasOddErrorCount(_ block: Int) -> Bool {
        (oddBlocks[block >> 6] >> UInt64(block & 63)) & 1 == 1
    }

    /// Whether any block holds an odd number of errors.
    @inline(__always)
    var hasOddBlocks: Bool { oddBlockTally.pointee != 0 }

    /// The number of blocks that hold an odd number of errors.
    @inline(__always)
    var oddBlockCount: Int { Int(oddBlockTally.pointee) }

    /// The first block at or after `block` that holds an odd number of errors, or `blockCount`.
    @inline(__always)
    func firstOddBlock(from block: Int) -> Int {
        let wordCount = (blockCount + 63) >> 6
        let bound = Int(firstOddWordBound.pointee)
        var wordIndex = max(block >> 6, bound)
        guard wordIndex < wordCount else { return blockCount }
        // Whether the scan reads whole words from the bound on, so that it may move the bound.
        let scansFromBound = block >> 6 < bound || block & 63 == 0 && block >> 6 == bound
        var word = oddBlocks[wordIndex] & (wordIndex == block >> 6 ? ~0 << UInt64(block & 63) : ~0)
        while word == 0 {
            wordIndex += 1
            guard wordIndex < wordCount else {
                if scansFromBound { firstOddWordBound.pointee = UInt64(wordCount) }
                return blockCount
            }
            word = oddBlocks[wordIndex]
        }
        if scansFromBound { firstOddWordBound.pointee = UInt64(wordIndex) }
        return wordIndex << 6 | word.trailingZeroBitCount
    }

    /// The positions of block `block` in the pass's order.
    @inline(__always)
    func range(ofBlock block: Int) -> Range<Int> {
        if isSplit { return block == 0 ? 0..<splitBoundary : splitBoundary..<length }
        let start = block * blockSize
        return start..<min(start + blockSize, length)
    }

    /// Bob's parity of positions `range` of the pass's order; `key` is his key in original order.
    @inline(__always)
    func parity(of range: Range<Int>, key: UnsafeBufferPointer<UInt64>) -> Bool {
        if isSplit { return split.parity(of: key, positions: range) }
        if permutedWordCount == 0 { return PackedBits.parity(key, range) }
        return PackedBits.parity(UnsafeBufferPointer(start: permutedKey, count: permutedWordCount), range)
    }

    /// The key index at position `position` of the pass's order (in a ranked pass, of a ranked
    /// block).
    func originalIndex(atPosition position: Int) -> Int {
        if isSplit { return split.originalIndex(atPosition: position) }
        if let unownedRanking { return unownedRanking._withUnsafeGuaranteedRef { $0.keyIndex(atRankedPosition: position) } }
        guard let originalIndices else { return position }
        return Int(originalIndices[position])
    }

    /// Records Alice's parities of blocks `0..<count` from bits `offset..<offset + count` of
    /// `parities` (the first response); which blocks are odd is left to
    /// `refreshOddBlocks(key:)`.
    func recordAliceBlockParities(_ parities: UnsafeBufferPointer<UInt64>, from offset: Int, count: Int) {
        guard count > 0 else { return }
        PackedBits.copyBits(
            parities, from: offset, count: count,
            into: UnsafeMutableBufferPointer(start: aliceBlockParities, count: (count + 63) >> 6))
    }

    /// Records Alice's parity of block `block` only; which blocks are odd is left to
    /// `refreshOddBlocks(key:)`.
    func recordAliceBlockParity(_ aliceParity: Bool, ofBlock block: Int) {
        let mask: UInt64 = 1 << UInt64(block & 63)
        aliceBlockParities[block >> 6] = Self.setting(aliceBlockParities[block >> 6], mask, to: aliceParity)
    }

    /// Whether Bob's parities are read from his key in original order (key-order and split
    /// passes), so that `refreshOddBlocks(key:)` can stand in for the `flip` calls it missed.
    var readsOriginalOrder: Bool { permutedWordCount == 0 }

    /// Recomputes which blocks hold an odd number of errors from Alice's recorded block
    /// parities and Bob's current bits: `key` (his key in original order) for a pass that reads
    /// the original order, his own copy for a permuted pass (which sees every flip). Called once
    /// the first response is recorded, for the passes that see every correction, and when a pass
    /// that reads the original order, whose `flip` calls were skipped while it had no searches,
    /// is reached. Bob's block parities are computed a word at a time where the blocks allow
    /// (`PackedBits.blockParities`), written over the odd-block bits and XORed with Alice's.
    func refreshOddBlocks(key: UnsafeBufferPointer<UInt64>) {
        let flagWordCount = (blockCount + 63) >> 6
        let flags = UnsafeMutableBufferPointer(start: oddBlocks, count: flagWordCount)
        if isSplit {
            for index in 0..<flagWordCount { flags[index] = 0 }
            for block in 0..<blockCount where parity(of: range(ofBlock: block), key: key) {
                flags[block >> 6] |= 1 << UInt64(block & 63)
            }
        } else {
            let bits = permutedWordCount == 0 ? key : UnsafeBufferPointer(start: permutedKey, count: permutedWordCount)
            PackedBits.blockParities(bits, length: length, blockSize: blockSize, into: flags)
        }
        var tally: UInt64 = 0
        for index in 0..<flagWordCount {
            flags[index] ^= aliceBlockParities[index]
            tally &+= UInt64(flags[index].nonzeroBitCount)
        }
        oddBlockTally.pointee = tally
        firstOddWordBound.pointee = 0
    }

    /// Ranks the bits inside every block of this permuted pass by error likelihood (see
    /// `CascadeLikelihoodRanking`) from the first pass's known splits as they are now, before
    /// any of its blocks is searched: Bob's key in the pass is rearranged into ranked order,
    /// and splits balance expected errors. Blocks keep their bits, so their parities and odd
    /// flags stay as they are.
    func rankByErrorLikelihood(firstPass: CascadePassState, estimatedQBER: Double) {
        guard case .permuted(let tables) = order, knownParitiesCleared.pointee == 0, ranking == nil else {
            preconditionFailure("only a permuted pass none of whose blocks was searched can be ranked, once")
        }
        let ranking = CascadeLikelihoodRanking(
            order: tables, blockSize: blockSize, firstBlockSize: firstPass.blockSize,
            knownFirstPassSplits: firstPass.knownSplits(), estimatedQBER: estimatedQBER)
        ranking.rearrange(permutedKey)
        self.ranking = ranking
        unownedRanking = Unmanaged.passUnretained(ranking)
    }

    /// Whether this is a permuted pass.
    var isPermuted: Bool { permutedPositions != nil }

    /// Records Alice's parity of the left part of the node split at position `split`.
    @inline(__always)
    func recordLeftParity(_ aliceParity: Bool, split: Int) {
        let mask: UInt64 = 1 << UInt64(split & 63)
        isLeftParityKnown[split >> 6] |= mask
        leftParity[split >> 6] = Self.setting(leftParity[split >> 6], mask, to: aliceParity)
    }

    /// `word` with the bits of `mask` set if `value`, else cleared; branch-free, since the
    /// parities recorded are coin flips that a branch would mispredict half the time.
    @inline(__always)
    private static func setting(_ word: UInt64, _ mask: UInt64, to value: Bool) -> UInt64 {
        word & ~mask | (value ? mask : 0)
    }

    /// Bob's record of which stretches' left parities Alice disclosed: bit `m` (one word per 64
    /// positions) is set when the parity of the left part of the stretch split at `m` is known.
    func knownSplits() -> UnsafeBufferPointer<UInt64> {
        clearKnownParitiesIfNeeded()
        return UnsafeBufferPointer(start: isLeftParityKnown, count: slotWordCount)
    }

    /// Where binary search splits the stretch `lower..<upper` (at least two positions long).
    @inline(__always)
    func split(_ lower: Int, _ upper: Int) -> Int {
        guard let unownedRanking else { return lower + (upper - lower) / 2 }
        return unownedRanking._withUnsafeGuaranteedRef { $0.balancedSplit(lower, upper) }
    }

    /// Advances the binary search of block `block` as far as Alice's known parities allow,
    /// from its cursor if it has one, else from the whole block; `key` is Bob's key in original
    /// order.
    ///
    /// Returns `blockIsEven` if the block holds an even number of errors, `searchAwaitsParity`
    /// (leaving the cursor at the stretch whose left part's parity is needed, see
    /// `awaitedQuery(ofBlock:)`) or the key index of the error found.
    @inline(__always)
    func advanceSearch(ofBlock block: Int, key: UnsafeBufferPointer<UInt64>) -> Int {
        advanceSearch(ofBlock: block, key: key) { _, _ in nil }
    }

    /// `advanceSearch(ofBlock:key:)`, asking `ask(lower, split)` for every left parity the
    /// search needs and does not know, of the stretch `lower..<upper` split at `split`: a parity
    /// it returns is recorded (`recordLeftParity(_:split:)`) and the search goes on; nil stops
    /// the search there, awaiting that parity.
    @inline(__always)
    func advanceSearch(
        ofBlock block: Int, key: UnsafeBufferPointer<UInt64>, asking ask: (_ lower: Int, _ split: Int) throws -> Bool?
    ) rethrows -> Int {
        guard hasOddErrorCount(block) else { return Self.blockIsEven }
        let cursorRange = cursorRanges + 2 * block
        var lower: Int
        var upper: Int
        // The split of the stretch at hand: the cursor's is stored, every other one computed.
        var middle: Int
        if cursorSplits[block] == 0 {
            clearKnownParitiesIfNeeded()
            let range = range(ofBlock: block)
            lower = range.lowerBound
            upper = range.upperBound
            middle = upper - lower > 1 ? split(lower, upper) : lower
        } else {
            lower = Int(cursorRange[0])
            upper = Int(cursorRange[1])
            middle = Int(cursorSplits[block])
        }
        while upper - lower > 1 {
            let mask: UInt64 = 1 << UInt64(middle & 63)
            if isLeftParityKnown[middle >> 6] & mask == 0 {
                guard let parity = try ask(lower, middle) else {
                    cursorSplits[block] = UInt64(middle)
                    cursorRange[0] = UInt64(lower)
                    cursorRange[1] = UInt64(upper)
                    return Self.searchAwaitsParity
                }
                recordLeftParity(parity, split: middle)
            }
            if (leftParity[middle >> 6] & mask != 0) != parity(of: lower..<middle, key: key) {
                upper = middle
            } else {
                lower = middle
            }
            if upper - lower > 1 { middle = split(lower, upper) }
        }
        return originalIndex(atPosition: lower)
    }

    /// The stretch whose left part's parity block `block`'s search awaits: its first position
    /// and its split point, where the asked part ends (after `advanceSearch(ofBlock:key:)`
    /// returned `searchAwaitsParity`).
    @inline(__always)
    func awaitedQuery(ofBlock block: Int) -> (lowerBound: Int, split: Int) {
        assert(cursorSplits[block] != 0, "block \(block) is odd but its search was not advanced")
        return (Int(cursorRanges[2 * block]), Int(cursorSplits[block]))
    }

    /// The block holding position `position` of the pass's order.
    @inline(__always)
    func block(atPosition position: Int) -> Int {
        if isSplit { return position < splitBoundary ? 0 : 1 }
        return blockHolding(position)
    }

    /// The block of a key-order or permuted pass holding position (or key index) `position`.
    @inline(__always)
    private func blockHolding(_ position: Int) -> Int {
        blockSizeShift >= 0 ? position >> blockSizeShift : position / blockSize
    }

    /// Records that Bob flipped key index `originalIndex` (his original-order key is flipped by
    /// the caller) and returns the block that holds it, whose error-count parity has flipped too.
    @inline(__always)
    func flip(originalIndex: Int) -> Int {
        let block: Int
        if isSplit {
            let isMember = (splitMembers[originalIndex >> 6] >> UInt64(originalIndex & 63)) & 1 == 1
            block = blockCount == 1 || isMember ? 0 : 1
        } else if let permutedPositions {
            var position = Int(permutedPositions[originalIndex])
            // Ranking keeps every bit in its block; a ranked block has its own layout.
            block = blockHolding(position)
            if let unownedRanking {
                position = unownedRanking._withUnsafeGuaranteedRef { $0.rankedPosition(ofPosition: position, keyIndex: originalIndex) }
            }
            permutedKey[position >> 6] ^= 1 << UInt64(position & 63)
        } else {
            block = blockHolding(originalIndex)
        }
        let mask: UInt64 = 1 << UInt64(block & 63)
        oddBlocks[block >> 6] ^= mask
        oddBlockTally.pointee = oddBlockTally.pointee &+ (oddBlocks[block >> 6] & mask != 0 ? 1 : ~0)
        firstOddWordBound.pointee = min(firstOddWordBound.pointee, UInt64(block >> 6))
        cursorSplits[block] = 0
        return block
    }
}
