import QKDCore

/// Alice's side of Cascade: she holds the reference key and answers Bob's parity requests.
///
/// For each permuted pass she builds, on first use, a copy of her key in that pass's order (one
/// gather through the pass's index table); split passes read her key through their subset mask
/// (`CascadeSplit`). Every requested parity is then computed a word at a time, through per-pass
/// tables that the loop reads without reference counting.
public struct CascadeAlice: Sendable {
    /// The reference key; never modified.
    public let referenceKey: BitVector
    /// The shared protocol settings (Alice uses the pass count and the permutation seed).
    public let parameters: CascadeParameters
    /// The number of parity bits sent to Bob so far; each one is information leaked to Eve.
    public private(set) var disclosedBits = 0
    /// The orders of all passes, shared with every run of the same key length and parameters.
    private let layout: CascadeLayout
    /// The reference key in each permuted pass's order (empty until the pass is first queried).
    private var permutedKeys: [[UInt64]]
    /// Per pass, the split of a split pass (nil otherwise), unretained: `layout` keeps it alive.
    private let splits: [Unmanaged<CascadeSplit>?]
    /// The words of the last response's parities; the response carries this buffer, which is
    /// reused once the caller has let go of the response.
    private var responseWords: [UInt64] = []

    /// Creates Alice's side for a block reconciled from the QBER estimate `estimatedQBER` (the
    /// one Bob uses: it sets the block sizes, on which the pass orders depend). Throws if the
    /// key is empty or too long, the estimate is not in `0..<0.5`, or the parameters are invalid.
    public init(referenceKey: BitVector, estimatedQBER: Double, parameters: CascadeParameters) throws {
        try parameters.validate()
        guard estimatedQBER >= 0 && estimatedQBER < 0.5 else {
            throw QKDError(.invalidParameter, "Cascade QBER estimate \(estimatedQBER) is not in 0..<0.5")
        }
        guard referenceKey.count > 0 else {
            throw QKDError(.invalidParameter, "Cascade needs a non-empty key")
        }
        guard referenceKey.count <= CascadePermutation.maximumLength else {
            throw QKDError(.invalidParameter, "Cascade key of \(referenceKey.count) bits exceeds \(CascadePermutation.maximumLength) bits")
        }
        self.referenceKey = referenceKey
        self.parameters = parameters
        layout = CascadeLayout.shared(length: referenceKey.count, parameters: parameters, estimatedQBER: estimatedQBER)
        permutedKeys = [[UInt64]](repeating: [], count: parameters.passCount)
        splits = layout.orders.map { order in
            if case .split(let split) = order { return Unmanaged.passUnretained(split) }
            return nil
        }
    }

    /// Answers a `parityRequest` with a `parityResponse` holding one parity per query, in order.
    ///
    /// Throws `QKDError` (and discloses nothing) if the message is not a request, Bob's key
    /// length differs from Alice's, the request is empty, or a query names a pass outside
    /// `0..<passCount` or a range that is empty or outside the key.
    public mutating func respond(to message: CascadeMessage) throws -> CascadeMessage {
        guard case .parityRequest(let keyLength, let queries) = message else {
            throw QKDError(.protocolFailure, "Cascade Alice expected a parity request but received a parity response")
        }
        guard keyLength == referenceKey.count else {
            throw QKDError(.invalidParameter, "Cascade keys differ in length: Bob has \(keyLength) bits, Alice has \(referenceKey.count)")
        }
        guard !queries.isEmpty else {
            throw QKDError(.malformedInput, "Cascade parity request contains no queries")
        }
        for (index, query) in queries.enumerated() {
            guard query.pass >= 0 && query.pass < parameters.passCount else {
                throw QKDError(.malformedInput, "Cascade query \(index) names pass \(query.pass), outside 0..<\(parameters.passCount)")
            }
            guard query.start >= 0 && query.start < query.end && query.end <= keyLength else {
                throw QKDError(.malformedInput, "Cascade query \(index) range \(query.start)..<\(query.end) is empty or outside the \(keyLength)-bit key")
            }
        }
        for query in queries where query.pass != 0 && splits[query.pass] == nil && permutedKeys[query.pass].isEmpty {
            buildPermutedKey(pass: query.pass)
        }
        var words: [UInt64] = []
        swap(&words, &responseWords)
        words.removeAll(keepingCapacity: true)
        words.append(contentsOf: repeatElement(0, count: (queries.count + 63) >> 6))
        referenceKey.words.withUnsafeBufferPointer { key in
            words.withUnsafeMutableBufferPointer { parityWords in
                for (index, query) in queries.enumerated() where parity(of: query, key: key) {
                    parityWords[index >> 6] |= 1 << UInt64(index & 63)
                }
            }
        }
        responseWords = words
        disclosedBits += queries.count
        return .parityResponse(parities: BitVector(words: words, count: queries.count))
    }

    /// Gathers the reference key into the order of permuted pass `pass`.
    private mutating func buildPermutedKey(pass: Int) {
        guard case .permuted(let tables) = layout.orders[pass] else { return }
        var words = [UInt64](repeating: 0, count: referenceKey.words.count)
        referenceKey.words.withUnsafeBufferPointer { source in
            words.withUnsafeMutableBufferPointer { target in
                PackedBits.gather(source, indices: UnsafeBufferPointer(start: tables.originalIndices, count: tables.length), into: target)
            }
        }
        permutedKeys[pass] = words
    }

    /// Alice's parity of a validated query; `key` is her key in original order, and the
    /// permuted key of the query's pass has been built.
    @inline(__always)
    private func parity(of query: CascadeParityQuery, key: UnsafeBufferPointer<UInt64>) -> Bool {
        if query.pass == 0 { return PackedBits.parity(key, query.range) }
        if let split = splits[query.pass] {
            return split._withUnsafeGuaranteedRef { $0.parity(of: key, positions: query.range) }
        }
        return permutedKeys[query.pass].withUnsafeBufferPointer { PackedBits.parity($0, query.range) }
    }
}
