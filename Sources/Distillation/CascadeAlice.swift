import QKDCore

/// Alice's side of Cascade: she holds the reference key and answers Bob's parity requests.
///
/// For each pass she builds, on first use, a copy of her key in that pass's permuted order, so
/// the parity of any requested range is computed a word at a time.
public struct CascadeAlice: Sendable {
    /// The reference key; never modified.
    public let referenceKey: BitVector
    /// The shared protocol settings (Alice uses the pass count and the permutation seed).
    public let parameters: CascadeParameters
    /// The number of parity bits sent to Bob so far; each one is information leaked to Eve.
    public private(set) var disclosedBits = 0
    /// The reference key in each pass's permuted order, built when the pass is first queried.
    private var permutedKeys: [Int: BitVector] = [:]

    /// Creates Alice's side. Throws if the key is empty or too long, or the parameters are invalid.
    public init(referenceKey: BitVector, parameters: CascadeParameters) throws {
        try parameters.validate()
        guard referenceKey.count > 0 else {
            throw QKDError(.invalidParameter, "Cascade needs a non-empty key")
        }
        guard referenceKey.count <= CascadePermutation.maximumLength else {
            throw QKDError(.invalidParameter, "Cascade key of \(referenceKey.count) bits exceeds \(CascadePermutation.maximumLength) bits")
        }
        self.referenceKey = referenceKey
        self.parameters = parameters
        permutedKeys[0] = referenceKey
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
        var parities = BitVector(count: queries.count)
        for (index, query) in queries.enumerated() where permutedKey(forPass: query.pass).parity(of: query.range) {
            parities[index] = true
        }
        disclosedBits += queries.count
        return .parityResponse(parities: parities)
    }

    /// The reference key in `pass`'s permuted order, building and caching it on first use.
    private mutating func permutedKey(forPass pass: Int) -> BitVector {
        if let key = permutedKeys[pass] { return key }
        let permutation = CascadePermutation(
            length: referenceKey.count, seed: parameters.permutationSeed, pass: pass, includeInverse: false)
        let key = permutation.apply(to: referenceKey)
        permutedKeys[pass] = key
        return key
    }
}
