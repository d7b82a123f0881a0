@testable import Distillation
import QKDCore
import Testing

/// The order that spreads first-pass blocks over the blocks of a later pass.
@Suite struct CascadeInterleaverTests {
    /// (key length, first-pass block size, block size of the interleaved pass).
    @Test(arguments: [(16384, 32, 256), (1000, 16, 32), (1000, 7, 100), (100_003, 64, 1024)])
    func isABijectionThatNeverPutsTwoBitsOfAFirstPassBlockTogether(length: Int, firstBlockSize: Int, blockSize: Int) {
        let order = CascadeInterleaver.order(
            length: length, firstBlockSize: firstBlockSize, blockSize: blockSize,
            generator: SeededGenerator(seed: 3, stream: "interleaver-test"))
        #expect(order.count == length)
        var seen = [Bool](repeating: false, count: length)
        for index in order where Int(index) < length { seen[Int(index)] = true }
        #expect(seen.allSatisfy { $0 })
        // Every case has k₁ < m = ⌈n / k⌉, so no block may hold two bits of one first-pass block.
        var sharedBlocks = 0
        for start in stride(from: 0, to: length, by: blockSize) {
            let firstPassBlocks = order[start..<min(start + blockSize, length)].map { Int($0) / firstBlockSize }
            if Set(firstPassBlocks).count != firstPassBlocks.count { sharedBlocks += 1 }
        }
        #expect(sharedBlocks == 0)
    }

    /// With `k₁ ≥ m` (128-bit first-pass blocks, 64 blocks of 256) sharing cannot be avoided;
    /// each first-pass block may put at most ⌈128 / 63⌉ = 3 bits in one block, and a uniformly
    /// random permutation would often put more (the largest of 64 × 128 such counts, each
    /// about Poisson(2), is typically 7 or 8).
    @Test func longFirstPassBlocksShareBlocksAsLittleAsPossible() {
        let order = CascadeInterleaver.order(
            length: 16384, firstBlockSize: 128, blockSize: 256, generator: SeededGenerator(seed: 4))
        var largest = 0
        for start in stride(from: 0, to: 16384, by: 256) {
            var counts = [Int: Int]()
            for index in order[start..<(start + 256)] { counts[Int(index) / 128, default: 0] += 1 }
            largest = max(largest, counts.values.max() ?? 0)
        }
        #expect(largest <= 3)
    }

    @Test func sameGeneratorGivesSameOrderAndOthersDiffer() {
        func order(_ seed: UInt64) -> [UInt32] {
            CascadeInterleaver.order(length: 5000, firstBlockSize: 16, blockSize: 128, generator: SeededGenerator(seed: seed))
        }
        #expect(order(1) == order(1))
        #expect(order(1) != order(2))
        // Not close to key order either: a fixed deal or an unshuffled block would keep runs.
        #expect(zip(order(1), 0..<5000).filter { Int($0) == $1 }.count < 20)
    }
}
