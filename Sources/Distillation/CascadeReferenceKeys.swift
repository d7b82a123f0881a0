import QKDCore

/// Alice's key as every pass of a Cascade run reads it: in key order for the first pass and the
/// split passes (a split reads it through its subset mask, `CascadeSplit`), and rearranged into
/// each permuted pass's order (one gather through the pass's index table).
///
/// Built when Alice is created (and copied once more when she ranks the second pass,
/// `rearranging(pass:by:)`), and only read afterwards, so copies of `CascadeAlice` share it;
/// its words live in raw memory so that answering a parity costs no reference counting or
/// bounds checks (hence `@unchecked Sendable`: immutable after init).
final class CascadeReferenceKeys: @unchecked Sendable {
    /// The orders; keeps the splits and permutation tables alive.
    private let layout: CascadeLayout
    /// Words per key, `⌈length / 64⌉`.
    private let wordCount: Int
    /// The key in original order, then the key in the order of every permuted pass.
    private let words: UnsafeMutablePointer<UInt64>
    /// The number of words in `words`.
    private let allWordCount: Int
    /// Per pass: where its key starts in `words` (0 for the key order and for split passes).
    private let keyOffsets: UnsafeMutablePointer<Int>
    /// Per pass: its split, unretained (`layout` keeps it alive), or nil.
    private let splits: UnsafeMutablePointer<Unmanaged<CascadeSplit>?>
    /// The number of passes.
    let passCount: Int

    /// Lays out `key` for every pass of `layout`.
    init(key: BitVector, layout: CascadeLayout) {
        self.layout = layout
        wordCount = key.words.count
        passCount = layout.orders.count
        var permutedPassCount = 0
        for order in layout.orders {
            if case .permuted = order { permutedPassCount += 1 }
        }
        allWordCount = max(1, wordCount * (1 + permutedPassCount))
        words = .allocate(capacity: allWordCount)
        keyOffsets = .allocate(capacity: max(1, passCount))
        splits = .allocate(capacity: max(1, passCount))
        key.words.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { words.initialize(from: base, count: wordCount) }
            var nextOffset = wordCount
            for (pass, order) in layout.orders.enumerated() {
                keyOffsets[pass] = 0
                splits[pass] = nil
                switch order {
                case .identity:
                    break
                case .split(let split):
                    splits[pass] = Unmanaged.passUnretained(split)
                case .permuted(let tables):
                    PackedBits.gather(
                        source, indices: UnsafeBufferPointer(start: tables.originalIndices, count: tables.length),
                        into: UnsafeMutableBufferPointer(start: words + nextOffset, count: wordCount))
                    keyOffsets[pass] = nextOffset
                    nextOffset += wordCount
                }
            }
        }
    }

    deinit {
        words.deallocate()
        keyOffsets.deallocate()
        splits.deallocate()
    }

    /// A copy of `other` whose key in permuted pass `pass` is rearranged by `ranking`.
    private init(copying other: CascadeReferenceKeys, rearrangingPass pass: Int, by ranking: CascadeLikelihoodRanking) {
        precondition(other.keyOffsets[pass] != 0, "only a permuted pass's key can be ranked")
        layout = other.layout
        wordCount = other.wordCount
        passCount = other.passCount
        allWordCount = other.allWordCount
        words = .allocate(capacity: allWordCount)
        words.initialize(from: other.words, count: allWordCount)
        keyOffsets = .allocate(capacity: max(1, passCount))
        keyOffsets.initialize(from: other.keyOffsets, count: max(1, passCount))
        splits = .allocate(capacity: max(1, passCount))
        splits.initialize(from: other.splits, count: max(1, passCount))
        ranking.rearrange(words + keyOffsets[pass])
    }

    /// These keys with the key of permuted pass `pass` rearranged into `ranking`'s order (the
    /// second pass ranked by error likelihood, `CascadeLikelihoodRanking.rearrange`).
    func rearranging(pass: Int, by ranking: CascadeLikelihoodRanking) -> CascadeReferenceKeys {
        CascadeReferenceKeys(copying: self, rearrangingPass: pass, by: ranking)
    }

    /// Alice's parity of a query whose pass and range have been checked.
    @inline(__always)
    func parity(of query: CascadeParityQuery) -> Bool {
        if let split = splits[query.pass] {
            return split._withUnsafeGuaranteedRef {
                $0.parity(of: UnsafeBufferPointer(start: words, count: wordCount), positions: query.range)
            }
        }
        return PackedBits.parity(UnsafeBufferPointer(start: words + keyOffsets[query.pass], count: wordCount), query.range)
    }

    /// How many queries from `queries[first]` on ask consecutive blocks of one pass whose key is
    /// read word by word (not a split), all of one power-of-two size up to 64 bits, the first
    /// starting on a word boundary: a run whose parities `blockParities(ofRunFrom:count:into:at:)`
    /// computes at once (the first request's blocks). 1 when `queries[first]` starts none.
    func wholeBlockRun(in queries: [CascadeParityQuery], from first: Int) -> Int {
        let query = queries[first]
        let size = query.end - query.start
        guard splits[query.pass] == nil, query.start & 63 == 0, size <= 64, size.nonzeroBitCount == 1 else { return 1 }
        var end = first + 1
        while end < queries.count && queries[end].pass == query.pass && queries[end].start == queries[end - 1].end
            && queries[end].end - queries[end].start == size {
            end += 1
        }
        return end - first
    }

    /// Writes the parities of the run of `count` queries from `first` (`wholeBlockRun`) to bits
    /// `offset..<offset + count` of `target`, whose bits there are clear
    /// (`PackedBits.blockParities`).
    func blockParities(ofRunFrom first: CascadeParityQuery, count: Int, into target: UnsafeMutableBufferPointer<UInt64>, at offset: Int) {
        let size = first.end - first.start
        let source = UnsafeBufferPointer(start: words + keyOffsets[first.pass] + first.start >> 6, count: (count * size + 63) >> 6)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (count + 63) >> 6) { parities in
            PackedBits.blockParities(source, length: count * size, blockSize: size, into: parities)
            // The bits past `count` are clear, so whole words can be ORed in at the shift.
            let shift = offset & 63
            for index in 0..<parities.count {
                let word = (offset >> 6) + index
                target[word] |= parities[index] << UInt64(shift)
                if shift != 0 && word + 1 < target.count { target[word + 1] |= parities[index] >> UInt64(64 - shift) }
            }
        }
    }
}
