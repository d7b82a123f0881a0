import QKDCore

/// The order of a Cascade pass after the first that spreads every first-pass block over as
/// many of its own blocks as possible: with first-pass blocks of `k₁` bits and `m = ⌈n / k⌉`
/// blocks of `k` bits here, two bits of one first-pass block share a block here only when
/// `k₁ ≥ m`, and then as few times as possible.
///
/// Why: after the first pass every first-pass block holds an even number of errors, mostly
/// two. Under a uniformly random permutation such a pair falls into one block of the next pass
/// with probability about `k / n`, and then neither pass sees it; it survives into the passes
/// with half-key blocks, where finding it costs `log₂(n/2)` parities plus the split passes
/// needed to expose it. Here a pair from one first-pass block always lands in two different
/// blocks (when `k₁ < m`), so each of its errors makes its block odd and is found there or by
/// the cascade back into the first pass. The randomness Cascade needs is kept: the first-pass
/// blocks are taken in a random order, every bit goes to a randomly drawn block, and the
/// positions of every block are shuffled.
///
/// Construction (deterministic given the generator): take the first-pass blocks in random
/// order and send the bits of each to distinct blocks of this pass, drawn uniformly among the
/// blocks filled least so far (blocks are filled level by level, like dealing cards, but to
/// randomly drawn players each round). So every block of this pass fills evenly and, whenever
/// `k₁ < m`, a first-pass block never sends two bits to the same block; a longer first-pass
/// block sends at most `⌈k₁ / (m − 1)⌉` to any one. Random draws rather than a fixed deal matter: a
/// cyclic deal would make the graph between the passes' blocks a union of complete bipartite
/// pieces, in which four errors hide from both passes far more often than at random. Finally
/// the positions of every block are shuffled. Every draw is unbiased (Lemire's bounded method).
enum CascadeInterleaver {
    /// The key index at each position of the pass's order, for a key of `length` bits whose
    /// first pass has blocks of `firstBlockSize` bits and this pass blocks of `blockSize` bits.
    static func order(length: Int, firstBlockSize: Int, blockSize: Int, generator: SeededGenerator) -> [UInt32] {
        precondition(length >= 1 && firstBlockSize >= 1 && blockSize >= 1, "interleaver sizes must be positive")
        var draws = ThirtyTwoBitDraws(generator: generator)
        func shuffle(_ values: UnsafeMutableBufferPointer<UInt32>) {
            var remaining = values.count
            while remaining > 1 {
                let chosen = Int(draws.uniformBelow(UInt32(remaining)))
                remaining -= 1
                values.swapAt(remaining, chosen)
            }
        }
        let firstPassBlockCount = (length + firstBlockSize - 1) / firstBlockSize
        var firstPassBlocks = (0..<firstPassBlockCount).map { UInt32($0) }
        firstPassBlocks.withUnsafeMutableBufferPointer { shuffle($0) }
        let blockCount = (length + blockSize - 1) / blockSize
        let lastBlockSize = length - (blockCount - 1) * blockSize
        func capacity(_ block: Int) -> Int { block == blockCount - 1 ? lastBlockSize : blockSize }
        var filled = [Int](repeating: 0, count: blockCount)
        var order = [UInt32](repeating: 0, count: length)
        // The open blocks filled least (`level`) and those filled one more (`level + 1`).
        var leastFilled = Array(0..<blockCount)
        var nextFilled: [Int] = []
        var chosenBeforeRefill: [Int] = []
        var chosenAfterRefill: [Int] = []
        for firstPassBlock in firstPassBlocks {
            var index = Int(firstPassBlock) * firstBlockSize
            let end = min(index + firstBlockSize, length)
            while index < end {
                // A chunk of at most one bit per open block, each to a different block.
                let chunkEnd = min(end, index + leastFilled.count + nextFilled.count)
                chosenBeforeRefill.removeAll(keepingCapacity: true)
                chosenAfterRefill.removeAll(keepingCapacity: true)
                var refilled = false
                for bit in index..<chunkEnd {
                    if leastFilled.isEmpty {
                        swap(&leastFilled, &nextFilled)
                        refilled = true
                    }
                    let drawn = Int(draws.uniformBelow(UInt32(leastFilled.count)))
                    let block = leastFilled[drawn]
                    leastFilled.swapAt(drawn, leastFilled.count - 1)
                    leastFilled.removeLast()
                    order[block * blockSize + filled[block]] = UInt32(bit)
                    filled[block] += 1
                    if refilled { chosenAfterRefill.append(block) } else { chosenBeforeRefill.append(block) }
                }
                for block in chosenBeforeRefill where filled[block] < capacity(block) {
                    if refilled { leastFilled.append(block) } else { nextFilled.append(block) }
                }
                for block in chosenAfterRefill where filled[block] < capacity(block) { nextFilled.append(block) }
                index = chunkEnd
            }
        }
        order.withUnsafeMutableBufferPointer { order in
            for block in 0..<blockCount {
                let start = block * blockSize
                shuffle(UnsafeMutableBufferPointer(rebasing: order[start..<min(start + blockSize, length)]))
            }
        }
        return order
    }
}
