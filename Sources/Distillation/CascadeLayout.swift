import Foundation
import QKDCore

/// The key orders of every pass of a Cascade run: what both sides derive from the key length,
/// `CascadeParameters` and the block sizes (see there for which pass gets which order).
///
/// Orders depend only on these, never on the key, so they are built once and shared:
/// `CascadeLayout.shared(length:parameters:estimatedQBER:)` keeps the few most recently used
/// layouts, and every block of the same length and QBER band reuses them.
final class CascadeLayout: Sendable {
    /// The order of one pass.
    enum Order: Sendable {
        /// Pass 0: the key as it is.
        case identity
        /// A random permutation and its inverse: uniform (`CascadePermutation`) or spreading
        /// the first pass's blocks (`CascadeInterleaver`), see
        /// `CascadeParameters.spreadsFirstPassBlocks`.
        case permuted(CascadePermutationTables)
        /// A random two-block split (see `CascadeSplit`).
        case split(CascadeSplit)
    }

    /// The key length.
    let length: Int
    /// One order per pass.
    let orders: [Order]

    private init(length: Int, parameters: CascadeParameters, blockSizes: [Int]) {
        self.length = length
        orders = (0..<parameters.passCount).map { pass in
            if pass == 0 { return .identity }
            if parameters.usesPermutation(pass: pass) {
                if parameters.spreadsFirstPassBlocks {
                    return .permuted(CascadePermutationTables(originalIndices: CascadeInterleaver.order(
                        length: length, firstBlockSize: blockSizes[0], blockSize: blockSizes[pass],
                        generator: SeededGenerator(seed: parameters.permutationSeed, stream: "cascade-interleave-\(pass)"))))
                }
                return .permuted(CascadePermutationTables(CascadePermutation(
                    length: length, seed: parameters.permutationSeed, pass: pass, includeInverse: true)))
            }
            var generator = SeededGenerator(seed: parameters.permutationSeed, stream: "cascade-split-\(pass)")
            return .split(CascadeSplit(length: length, generator: &generator))
        }
    }

    /// What identifies a layout.
    private struct Key: Hashable {
        let length: Int
        let seed: UInt64
        let passCount: Int
        let permutedPassCount: Int
        /// The block sizes of the first pass and of every permuted pass (empty when the
        /// permutations do not depend on them).
        let blockSizes: [Int]
    }

    /// The most recently used layouts, newest last.
    private nonisolated(unsafe) static var recent: [(key: Key, layout: CascadeLayout)] = []
    private static let lock = NSLock()
    /// How many layouts are kept (each holds two `UInt32` tables per permuted pass).
    private static let capacity = 4

    /// The layout for a key of `length` bits reconciled from a QBER estimate of
    /// `estimatedQBER`, built on first use and kept while recently used.
    static func shared(length: Int, parameters: CascadeParameters, estimatedQBER: Double) -> CascadeLayout {
        let blockSizes = (0...parameters.permutedPassCount).map {
            parameters.blockSize(pass: $0, keyLength: length, estimatedQBER: estimatedQBER)
        }
        let key = Key(
            length: length, seed: parameters.permutationSeed, passCount: parameters.passCount,
            permutedPassCount: parameters.permutedPassCount,
            blockSizes: parameters.spreadsFirstPassBlocks ? blockSizes : [])
        lock.lock()
        if let index = recent.firstIndex(where: { $0.key == key }) {
            let entry = recent.remove(at: index)
            recent.append(entry)
            lock.unlock()
            return entry.layout
        }
        lock.unlock()
        let layout = CascadeLayout(length: length, parameters: parameters, blockSizes: blockSizes)
        lock.lock()
        defer { lock.unlock() }
        if let existing = recent.first(where: { $0.key == key }) { return existing.layout }
        recent.append((key, layout))
        if recent.count > capacity { recent.removeFirst() }
        return layout
    }
}
