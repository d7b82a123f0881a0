import Distillation
import QKDCore
import Testing

@Suite struct CascadePermutationTests {
    @Test(arguments: [1, 2, 63, 64, 65, 1000, 70_001])
    func isABijectionWithConsistentInverse(length: Int) {
        let permutation = CascadePermutation(length: length, seed: 99, pass: 3, includeInverse: true)
        var seen = [Bool](repeating: false, count: length)
        for position in 0..<length {
            let index = permutation.originalIndex(atPosition: position)
            #expect(!seen[index])
            seen[index] = true
            #expect(permutation.position(ofOriginalIndex: index) == position)
        }
        #expect(seen.allSatisfy { $0 })
    }

    @Test func passZeroIsIdentityAndLaterPassesAreNot() {
        let identity = CascadePermutation(length: 500, seed: 1, pass: 0, includeInverse: true)
        #expect(identity.isIdentity)
        #expect((0..<500).allSatisfy { identity.originalIndex(atPosition: $0) == $0 })
        let shuffled = CascadePermutation(length: 500, seed: 1, pass: 1, includeInverse: false)
        let fixedPoints = (0..<500).filter { shuffled.originalIndex(atPosition: $0) == $0 }.count
        // A uniform permutation has one fixed point on average; 10 would be a broken shuffle.
        #expect(fixedPoints < 10)
    }

    @Test func sameSeedAndPassGiveSameOrderAndOthersDiffer() {
        let order = { (seed: UInt64, pass: Int) in
            let permutation = CascadePermutation(length: 300, seed: seed, pass: pass, includeInverse: false)
            return (0..<300).map { permutation.originalIndex(atPosition: $0) }
        }
        #expect(order(7, 2) == order(7, 2))
        #expect(order(7, 2) != order(7, 3))
        #expect(order(7, 2) != order(8, 2))
    }

    @Test func applyGathersBitsInPermutedOrder() {
        var generator = SeededGenerator(seed: 4)
        let key = BitVector(randomCount: 777, using: &generator)
        let permutation = CascadePermutation(length: 777, seed: 4, pass: 5, includeInverse: false)
        var words = [UInt64](repeating: 0, count: key.words.count)
        permutation.apply(words: key.words, into: &words)
        let permuted = BitVector(words: words, count: key.count)
        #expect(permuted.count == 777)
        #expect((0..<777).allSatisfy { permuted[$0] == key[permutation.originalIndex(atPosition: $0)] })
        #expect(permuted.popcount == key.popcount)
    }
}
