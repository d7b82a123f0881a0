import Distillation
import QKDCore
import Security

/// The sifted key bits and public counts accumulated since the last block closed, on one side.
struct SiftedBlockBuffer {
    private(set) var bits: [Bool] = []
    private(set) var counts = ThreeStateCounts.zero

    var siftedBits: Int { bits.count }

    mutating func append(_ outcome: ThreeStateSifting.Outcome) {
        bits.append(contentsOf: outcome.keyBits)
        counts = counts + outcome.counts
    }

    /// Closes the block: returns its key and counts and starts an empty buffer.
    mutating func close() -> (key: BitVector, counts: ThreeStateCounts) {
        defer { self = SiftedBlockBuffer() }
        return (BitVector(bits: bits), counts)
    }
}
