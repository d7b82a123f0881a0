import Distillation
import QKDCore
import Security

/// The sifted outcomes (one per sifting announcement) accumulated since the last block closed, on
/// one side. A block is closed from the leading outcomes, so bits beyond it wait for the next.
struct SiftedBlockBuffer {
    private var outcomes: [ThreeStateSifting.Outcome] = []
    private(set) var siftedBits = 0
    private(set) var counts = ThreeStateCounts.zero

    mutating func append(_ outcome: ThreeStateSifting.Outcome) {
        outcomes.append(outcome)
        siftedBits += outcome.keyBits.count
        counts = counts + outcome.counts
    }

    /// Closes a block of the fewest leading outcomes that hold `bits` sifted bits (all of them
    /// when they hold fewer); returns its key and counts. The rest stays.
    mutating func close(reaching bits: Int = .max) -> (key: BitVector, counts: ThreeStateCounts) {
        var taken = 0, keyBits: [Bool] = [], blockCounts = ThreeStateCounts.zero
        while taken < outcomes.count, keyBits.count < bits {
            keyBits += outcomes[taken].keyBits
            blockCounts = blockCounts + outcomes[taken].counts
            taken += 1
        }
        outcomes.removeFirst(taken)
        siftedBits -= keyBits.count
        counts = outcomes.reduce(ThreeStateCounts.zero) { $0 + $1.counts }
        return (BitVector(bits: keyBits), blockCounts)
    }
}
