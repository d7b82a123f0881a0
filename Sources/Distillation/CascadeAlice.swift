import QKDCore

/// Alice's side of Cascade: she holds the reference key and answers Bob's parity requests.
///
/// Her key is laid out once for every pass (`CascadeReferenceKeys`: a gather into each
/// permuted pass's order; split passes read it through their subset masks), so every requested
/// parity is computed a word at a time, and the whole blocks of the first request several to a
/// word (`CascadeReferenceKeys.wholeBlockRun`). With
/// `CascadeParameters.ranksSecondPassByErrorLikelihood` she records which first-pass stretches
/// Bob asked about, and when the first query of a later pass arrives she ranks the second pass's
/// order as Bob did (`CascadeLikelihoodRanking`).
public struct CascadeAlice: Sendable {
    /// The reference key; never modified.
    public let referenceKey: BitVector
    /// The shared protocol settings (Alice uses the pass count and the permutation seed).
    public let parameters: CascadeParameters
    /// The number of parity bits sent to Bob so far; each one is information leaked to Eve.
    public private(set) var disclosedBits = 0
    /// The reference key in the order of every pass (the second pass's ranked once it is).
    private var keys: CascadeReferenceKeys
    /// The words of the last response's parities; the response carries this buffer, which is
    /// reused once the caller has let go of the response.
    private var responseWords: [UInt64] = []
    /// The number of requests answered (the first asks the block parities).
    private var answeredRequestCount = 0
    /// The second pass's order, when it is a permuted pass to be ranked by error likelihood.
    private let secondPassOrder: CascadePermutationTables?
    /// The first and second passes' block sizes.
    private let firstBlockSize: Int
    private let secondBlockSize: Int
    /// Until the second pass is ranked: one bit per position, set at the split point of every
    /// first-pass stretch whose left part's parity Bob asked.
    private var firstPassKnownSplits: [UInt64]
    /// Whether the second pass is ranked (from the first request that asks about a later pass on).
    private var isSecondPassRanked = false

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
        let layout = CascadeLayout.shared(length: referenceKey.count, parameters: parameters, estimatedQBER: estimatedQBER)
        keys = CascadeReferenceKeys(key: referenceKey, layout: layout)
        firstBlockSize = parameters.blockSize(pass: 0, keyLength: referenceKey.count, estimatedQBER: estimatedQBER)
        secondBlockSize = parameters.blockSize(pass: 1, keyLength: referenceKey.count, estimatedQBER: estimatedQBER)
        if parameters.ranksSecondPassByErrorLikelihood, layout.orders.count > 1, case .permuted(let tables) = layout.orders[1] {
            secondPassOrder = tables
            firstPassKnownSplits = [UInt64](repeating: 0, count: referenceKey.words.count)
        } else {
            secondPassOrder = nil
            firstPassKnownSplits = []
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
        // The response words are rewritten in place when their count is unchanged (the caller
        // has let go of the last response, so they are not shared).
        var words: [UInt64] = []
        swap(&words, &responseWords)
        defer { swap(&words, &responseWords) }
        try answer(queries, keyLength: keyLength, into: &words)
        return .parityResponse(parities: BitVector(words: words, count: queries.count))
    }

    /// Answers Bob's queries in this process, without messages (`CascadeBob.reconcile(with:)`):
    /// writes their parities, in order, to `parityWords` (`⌈queries.count / 64⌉` words, bit
    /// `i` of word `i / 64` answering query `i`, the bits past the last cleared); `keyLength` is
    /// Bob's key length. What `respond(to:)` does with a request's contents, and it throws the
    /// same errors (disclosing nothing and leaving `parityWords` unspecified).
    public mutating func answer(_ queries: [CascadeParityQuery], keyLength: Int, into parityWords: inout [UInt64]) throws {
        try checkKeyLength(keyLength)
        guard !queries.isEmpty else {
            throw QKDError(.malformedInput, "Cascade parity request contains no queries")
        }
        // Every query is checked before anything is computed or recorded, so a bad one discloses
        // nothing and leaves Alice as she was. Subscripts, not iterators: a request usually
        // carries one or two queries, and an iterator would retain the array it walks.
        var asksLaterPass = false
        for index in 0..<queries.count {
            try check(queries[index], index: index, keyLength: keyLength)
            if queries[index].pass > 0 { asksLaterPass = true }
        }
        let recordsFirstPassSplits = beginAnswering(asksLaterPass: asksLaterPass)
        let wordCount = (queries.count + 63) >> 6
        if parityWords.count != wordCount { parityWords = [UInt64](repeating: 0, count: wordCount) }
        parityWords.withUnsafeMutableBufferPointer { target in
            for index in 0..<wordCount { target[index] = 0 }
            var index = 0
            while index < queries.count {
                // Runs of whole blocks (the first request) a word at a time, the rest one by one.
                let runLength = keys.wholeBlockRun(in: queries, from: index)
                if runLength > 1 {
                    keys.blockParities(ofRunFrom: queries[index], count: runLength, into: target, at: index)
                    index += runLength
                } else {
                    // Branch-free: the parity is a coin flip, which a branch would mispredict half the time.
                    target[index >> 6] |= UInt64(keys.parity(of: queries[index]) ? 1 : 0) << UInt64(index & 63)
                    index += 1
                }
            }
        }
        if recordsFirstPassSplits && !asksLaterPass {
            for index in 0..<queries.count where queries[index].pass == 0 {
                recordFirstPassSplit(of: queries[index], keyLength: keyLength)
            }
        }
        answeredRequestCount += 1
        disclosedBits += queries.count
    }

    /// `answer(_:keyLength:into:)` for a request of one query, whose parity it returns: the
    /// same checks, records and errors, without the request's loops and words
    /// (`CascadeBob.reconcile(with:)`, where most rounds carry one query).
    @inline(__always)
    mutating func answer(_ query: CascadeParityQuery, keyLength: Int) throws -> Bool {
        try checkKeyLength(keyLength)
        try check(query, index: 0, keyLength: keyLength)
        let recordsFirstPassSplits = beginAnswering(asksLaterPass: query.pass > 0)
        let parity = keys.parity(of: query)
        if recordsFirstPassSplits && query.pass == 0 { recordFirstPassSplit(of: query, keyLength: keyLength) }
        answeredRequestCount &+= 1
        disclosedBits &+= 1
        return parity
    }

    /// Throws unless Bob's key length `keyLength` is Alice's.
    @inline(__always)
    private func checkKeyLength(_ keyLength: Int) throws {
        guard keyLength == referenceKey.count else { throw Self.lengthMismatch(bob: keyLength, alice: referenceKey.count) }
    }

    /// The error for keys of different lengths (out of line: the answers' hot path only tests).
    @inline(never)
    private static func lengthMismatch(bob: Int, alice: Int) -> QKDError {
        QKDError(.invalidParameter, "Cascade keys differ in length: Bob has \(bob) bits, Alice has \(alice)")
    }

    /// Throws unless `query`, number `index` of its request, names a pass and a non-empty range
    /// inside the `keyLength`-bit key.
    @inline(__always)
    private func check(_ query: CascadeParityQuery, index: Int, keyLength: Int) throws {
        guard query.pass >= 0 && query.pass < keys.passCount && query.start >= 0 && query.start < query.end && query.end <= keyLength else {
            throw Self.malformed(query, index: index, keyLength: keyLength, passCount: keys.passCount)
        }
    }

    /// The error for a query that `check` refuses (out of line: the answers' hot path only tests).
    @inline(never)
    private static func malformed(_ query: CascadeParityQuery, index: Int, keyLength: Int, passCount: Int) -> QKDError {
        guard query.pass >= 0 && query.pass < passCount else {
            return QKDError(.malformedInput, "Cascade query \(index) names pass \(query.pass), outside 0..<\(passCount)")
        }
        return QKDError(.malformedInput, "Cascade query \(index) range \(query.start)..<\(query.end) is empty or outside the \(keyLength)-bit key")
    }

    /// Before a checked request's parities: ranks the second pass if the request is the first
    /// to ask about a later pass; returns whether its first-pass stretches are to be recorded
    /// (the second pass is to be ranked and not yet).
    @inline(__always)
    private mutating func beginAnswering(asksLaterPass: Bool) -> Bool {
        let recordsFirstPassSplits = secondPassOrder != nil && !isSecondPassRanked && answeredRequestCount > 0
        if recordsFirstPassSplits && asksLaterPass { rankSecondPass() }
        return recordsFirstPassSplits
    }

    /// Records the split point of the first-pass stretch whose left part `query` asked: its end
    /// (a whole block, which only the first request asks, may end at the key's end, which
    /// splits nothing).
    @inline(__always)
    private mutating func recordFirstPassSplit(of query: CascadeParityQuery, keyLength: Int) {
        guard query.end < keyLength else { return }
        firstPassKnownSplits[query.end >> 6] |= 1 << UInt64(query.end & 63)
    }

    /// Ranks the second pass's order by error likelihood from the first-pass stretches Bob asked
    /// about so far, as Bob did on reaching it (`CascadeLikelihoodRanking`), and lays her key
    /// out in it.
    @inline(never)
    private mutating func rankSecondPass() {
        guard let secondPassOrder else { return }
        let ranking = firstPassKnownSplits.withUnsafeBufferPointer {
            CascadeLikelihoodRanking(
                order: secondPassOrder, blockSize: secondBlockSize, firstBlockSize: firstBlockSize,
                knownFirstPassSplits: $0, estimatedQBER: nil)
        }
        keys = keys.rearranging(pass: 1, by: ranking)
        firstPassKnownSplits = []
        isSecondPassRanked = true
    }
}
