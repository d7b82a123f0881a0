@testable import Distillation
import QKDCore
import Testing

/// The random two-block split of Cascade's later passes, against bit-by-bit references.
@Suite struct CascadeSplitTests {
    @Test(arguments: [1, 64, 100, 1000])
    func orderListsTheSubsetThenItsComplementInIndexOrder(length: Int) {
        var generator = SeededGenerator(seed: UInt64(length))
        let split = CascadeSplit(length: length, generator: &generator)
        let order = (0..<length).map { split.originalIndex(atPosition: $0) }
        #expect(Set(order).count == length && order.allSatisfy { $0 >= 0 && $0 < length })
        let members = order.prefix(split.memberCount)
        let others = order.dropFirst(split.memberCount)
        let isMember = { (index: Int) in (split.masks[index >> 6] >> UInt64(index & 63)) & 1 == 1 }
        #expect(members.allSatisfy(isMember))
        #expect(!others.contains(where: isMember))
        #expect(members.elementsEqual(members.sorted()) && others.elementsEqual(others.sorted()))
        if length >= 1000 {
            // A fair coin per index: 1000 indices give 500 ± 16 members; 4.7 sd of room.
            #expect(abs(split.memberCount - length / 2) < 75)
        }
    }

    @Test func parityOfAnyPositionRangeMatchesBitByBit() {
        var generator = SeededGenerator(seed: 5)
        let length = 777
        let split = CascadeSplit(length: length, generator: &generator)
        let key = BitVector(randomCount: length, using: &generator)
        let order = (0..<length).map { split.originalIndex(atPosition: $0) }
        key.words.withUnsafeBufferPointer { words in
            for _ in 0..<300 {
                let a = Int(generator.next() % UInt64(length + 1)), b = Int(generator.next() % UInt64(length + 1))
                let range = min(a, b)..<max(a, b)
                let naive = range.reduce(false) { $0 != key[order[$1]] }
                #expect(split.parity(of: words, positions: range) == naive, "range \(range)")
            }
        }
    }
}
