import QKDCore

/// What one block of the three-state protocol observed: the number of pulses sent and, for each
/// of Alice's states, how many pulses gave each of Bob's four results.
///
/// States are indexed early (Z, bit 0), late (Z, bit 1), plus (X); results are Z-early, Z-late,
/// X-plus, X-minus. All of these counts are public after sifting and parameter estimation:
/// X-basis events are revealed in full, Z-basis events only by their number.
public struct ThreeStateCounts: Sendable, Equatable, Codable {
    /// Pulses sent in the block (N).
    public var pulses: UInt64
    /// `counts[state][result]`.
    public var counts: [[UInt64]]

    /// Creates counts, validating their shape and that they fit in the pulses sent.
    public init(pulses: UInt64, counts: [[UInt64]]) throws {
        guard counts.count == 3, counts.allSatisfy({ $0.count == 4 }) else {
            throw QKDError(.invalidParameter, "three-state counts need 3 states x 4 results, got \(counts.map(\.count))")
        }
        let total = counts.joined().reduce(0, +)
        guard total <= pulses else {
            throw QKDError(.invalidParameter, "counts total \(total) exceeds the \(pulses) pulses sent")
        }
        self.pulses = pulses
        self.counts = counts
    }

    /// Empty counts.
    public static let zero = try! ThreeStateCounts(pulses: 0, counts: Array(repeating: Array(repeating: 0, count: 4), count: 3))

    /// The count of (state, result), indices as documented on the type.
    public func count(state: Int, result: Int) -> UInt64 { counts[state][result] }

    /// Sifted key bits: Alice Z and Bob Z.
    public var siftedZ: UInt64 { counts[0][0] + counts[0][1] + counts[1][0] + counts[1][1] }

    /// Bit errors among the sifted Z bits (known only after error correction).
    public var zErrors: UInt64 { counts[0][1] + counts[1][0] }

    /// X-basis events of |+> (Alice X, Bob X).
    public var siftedX: UInt64 { counts[2][2] + counts[2][3] }

    /// X-basis errors of |+> (Bob's result minus).
    public var xErrors: UInt64 { counts[2][3] }

    /// Observed Z-basis QBER (0 if no sifted bit).
    public var qberZ: Double { siftedZ == 0 ? 0 : Double(zErrors) / Double(siftedZ) }

    /// Observed X-basis QBER (0 if no X event).
    public var qberX: Double { siftedX == 0 ? 0 : Double(xErrors) / Double(siftedX) }

    /// Total results of any kind.
    public var detections: UInt64 { counts.joined().reduce(0, +) }

    /// Adds another block's counts.
    public static func + (lhs: ThreeStateCounts, rhs: ThreeStateCounts) -> ThreeStateCounts {
        var sum = lhs
        sum.pulses += rhs.pulses
        for state in 0..<3 { for result in 0..<4 { sum.counts[state][result] += rhs.counts[state][result] } }
        return sum
    }
}

extension ThreeStateCounts {
    /// The counts with the Z results of Z states split by Alice's and Bob's sifted bits (known
    /// once error correction has made Bob's key equal to Alice's, or once an abandoned block's
    /// bits are revealed): bit 0 is early, bit 1 is late.
    public func withZResults(alice: BitVector, bob: BitVector) throws -> ThreeStateCounts {
        guard alice.count == bob.count, UInt64(alice.count) == siftedZ else {
            throw QKDError(.invalidParameter, "Z results of \(alice.count) and \(bob.count) bits do not match \(siftedZ) sifted bits")
        }
        var aliceOneBobOne = 0, aliceOne = 0, bobOne = 0
        for index in alice.words.indices {
            aliceOneBobOne += (alice.words[index] & bob.words[index]).nonzeroBitCount
            aliceOne += alice.words[index].nonzeroBitCount
            bobOne += bob.words[index].nonzeroBitCount
        }
        var copy = self
        copy.counts[1][1] = UInt64(aliceOneBobOne)
        copy.counts[1][0] = UInt64(aliceOne - aliceOneBobOne)
        copy.counts[0][1] = UInt64(bobOne - aliceOneBobOne)
        copy.counts[0][0] = UInt64(alice.count - aliceOne - bobOne + aliceOneBobOne)
        return copy
    }
}
