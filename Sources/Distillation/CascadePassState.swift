import QKDCore

/// What Bob knows about one started Cascade pass: its order, his key in that order, which
/// blocks hold an odd number of errors, and every sub-block parity Alice has disclosed.
///
/// Binary search splits a block `start..<end` at `start + (end - start) / 2` and asks only for
/// left halves (the right half's parity follows from its parent's). Nodes of a block's search
/// tree are numbered like a heap (root 1, children `2h` and `2h + 1`); Alice's parity of the
/// left child of node `h` of block `b` lives in slot `b * slotsPerBlock + h`.
struct CascadePassState {
    /// The pass's block size (the last block may be shorter).
    let blockSize: Int
    /// The number of blocks, `⌈keyLength / blockSize⌉`.
    let blockCount: Int
    /// The pass's order.
    let permutation: CascadePermutation
    /// Bob's current key in this pass's order.
    var permutedKey: BitVector
    /// Per block: whether Bob's parity differs from Alice's (an odd number of errors remain).
    var hasOddErrorCount: [Bool]
    /// Slots per block in the left-child parity tables: the smallest power of two ≥ `blockSize`.
    let slotsPerBlock: Int
    /// Whether Alice's parity of the left child of a tree node is known.
    var isLeftParityKnown: BitVector
    /// Alice's parity of the left child of a tree node, where known.
    var leftParity: BitVector

    /// Sets up pass state for Bob's current key; block parities are filled in later.
    init(key: BitVector, blockSize: Int, permutation: CascadePermutation) {
        self.blockSize = blockSize
        blockCount = (key.count + blockSize - 1) / blockSize
        self.permutation = permutation
        permutedKey = permutation.apply(to: key)
        hasOddErrorCount = [Bool](repeating: false, count: blockCount)
        var slots = 1
        while slots < blockSize { slots <<= 1 }
        slotsPerBlock = slots
        isLeftParityKnown = BitVector(count: blockCount * slots)
        leftParity = BitVector(count: blockCount * slots)
    }

    /// The permuted positions of block `block`.
    func range(ofBlock block: Int) -> Range<Int> {
        let start = block * blockSize
        return start..<min(start + blockSize, permutedKey.count)
    }

    /// Records Alice's parity of block `block` and whether Bob's disagrees with it.
    mutating func recordBlockParity(_ aliceParity: Bool, ofBlock block: Int) {
        hasOddErrorCount[block] = aliceParity != permutedKey.parity(of: range(ofBlock: block))
    }

    /// Records Alice's parity of the left child of node `parentNode` of block `block`.
    mutating func recordLeftParity(_ aliceParity: Bool, ofBlock block: Int, parentNode: Int) {
        let slot = block * slotsPerBlock + parentNode
        isLeftParityKnown[slot] = true
        leftParity[slot] = aliceParity
    }

    /// Alice's parity of the left child of node `parentNode` of block `block`, or nil if not yet disclosed.
    func knownLeftParity(ofBlock block: Int, parentNode: Int) -> Bool? {
        let slot = block * slotsPerBlock + parentNode
        return isLeftParityKnown[slot] ? leftParity[slot] : nil
    }

    /// Flips key index `originalIndex` in Bob's permuted copy and returns the block that holds
    /// it, whose error-count parity has flipped too.
    mutating func flip(originalIndex: Int) -> Int {
        let position = permutation.position(ofOriginalIndex: originalIndex)
        permutedKey.flip(position)
        let block = position / blockSize
        hasOddErrorCount[block].toggle()
        return block
    }
}
