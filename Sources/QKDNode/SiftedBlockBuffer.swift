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

    /// Whether any outcome held satisfies `predicate`.
    func contains(where predicate: (ThreeStateSifting.Outcome) -> Bool) -> Bool { outcomes.contains(where: predicate) }

    /// Closes a block of the fewest leading outcomes that hold `bits` sifted bits (all of them
    /// when they hold fewer), or of those through the first outcome that `endsBlock` if that
    /// comes sooner; returns its key, counts and whether `endsBlock` closed it. The rest stays.
    mutating func close(reaching bits: Int = .max, endsBlock: (ThreeStateSifting.Outcome) -> Bool = { _ in false })
        -> (key: BitVector, counts: ThreeStateCounts, endedByOutcome: Bool) {
        var taken = 0, keyBits: [Bool] = [], blockCounts = ThreeStateCounts.zero, ended = false
        while taken < outcomes.count, keyBits.count < bits {
            let outcome = outcomes[taken]
            keyBits += outcome.keyBits
            blockCounts = blockCounts + outcome.counts
            taken += 1
            if endsBlock(outcome) {
                ended = true
                break
            }
        }
        outcomes.removeFirst(taken)
        siftedBits -= keyBits.count
        counts = outcomes.reduce(ThreeStateCounts.zero) { $0 + $1.counts }
        return (BitVector(bits: keyBits), blockCounts, ended)
    }
}
