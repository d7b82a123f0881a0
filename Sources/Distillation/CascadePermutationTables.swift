/// A `CascadePermutation` and its inverse as raw index tables, built once per `CascadeLayout`
/// and then only read, so that Alice's gathers and Bob's corrections index them without
/// reference counting or bounds checks (hence `@unchecked Sendable`: immutable after init).
final class CascadePermutationTables: @unchecked Sendable {
    /// The number of positions.
    let length: Int
    /// `originalIndices[p]` is the key index at permuted position `p`.
    let originalIndices: UnsafeMutablePointer<UInt32>
    /// `permutedPositions[i]` is the permuted position of key index `i`.
    let permutedPositions: UnsafeMutablePointer<UInt32>

    /// Copies the tables of `permutation`, which must have been built with its inverse.
    init(_ permutation: CascadePermutation) {
        precondition(!permutation.isIdentity && permutation.permutedPositions.count == permutation.length,
                     "permutation tables need a non-identity permutation with its inverse")
        length = permutation.length
        originalIndices = .allocate(capacity: max(1, length))
        permutedPositions = .allocate(capacity: max(1, length))
        permutation.originalIndices.withUnsafeBufferPointer { originalIndices.initialize(from: $0.baseAddress!, count: length) }
        permutation.permutedPositions.withUnsafeBufferPointer { permutedPositions.initialize(from: $0.baseAddress!, count: length) }
    }

    /// Builds the tables of the order in which position `p` holds key index `originalIndices[p]`
    /// (a permutation of `0..<originalIndices.count`).
    init(originalIndices order: [UInt32]) {
        length = order.count
        originalIndices = .allocate(capacity: max(1, length))
        permutedPositions = .allocate(capacity: max(1, length))
        for position in 0..<length {
            originalIndices[position] = order[position]
            permutedPositions[Int(order[position])] = UInt32(truncatingIfNeeded: position)
        }
    }

    deinit {
        originalIndices.deallocate()
        permutedPositions.deallocate()
    }
}
