import QKDCore

/// Alice's side of Cascade: she holds the reference key and answers Bob's parity requests.
///
/// Her key is laid out once for every pass (`CascadeReferenceKeys`: a gather into each
/// permuted pass's order; split passes read it through their subset masks), so every requested
/// parity is computed a word at a time.
public struct CascadeAlice: Sendable {
    /// The reference key; never modified.
    public let referenceKey: BitVector
    /// The shared protocol settings (Alice uses the pass count and the permutation seed).
    public let parameters: CascadeParameters
    /// The number of parity bits sent to Bob so far; each one is information leaked to Eve.
    public private(set) var disclosedBits = 0
    /// The reference key in the order of every pass.
    private let keys: CascadeReferenceKeys
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
        keys = CascadeReferenceKeys(
            key: referenceKey,
            layout: CascadeLayout.shared(length: referenceKey.count, parameters: parameters, estimatedQBER: estimatedQBER))
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
        var words: [UInt64] = []
        swap(&words, &responseWords)
        words.removeAll(keepingCapacity: true)
        for _ in 0..<((queries.count + 63) >> 6) { words.append(0) }
        // Every query is checked before the response exists, so a bad one discloses nothing.
        let keys = keys
        let passCount = keys.passCount
        try queries.withUnsafeBufferPointer { queries in
            try words.withUnsafeMutableBufferPointer { parityWords in
                for index in queries.indices {
                    let query = queries[index]
                    guard query.pass >= 0 && query.pass < passCount else {
                        throw QKDError(.malformedInput, "Cascade query \(index) names pass \(query.pass), outside 0..<\(passCount)")
                    }
                    guard query.start >= 0 && query.start < query.end && query.end <= keyLength else {
                        throw QKDError(.malformedInput, "Cascade query \(index) range \(query.start)..<\(query.end) is empty or outside the \(keyLength)-bit key")
                    }
                    if keys.parity(of: query) { parityWords[index >> 6] |= 1 << UInt64(index & 63) }
                }
            }
        }
        responseWords = words
        disclosedBits += queries.count
        return .parityResponse(parities: BitVector(words: words, count: queries.count))
    }
}
