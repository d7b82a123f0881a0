import QKDCore

/// Bob's side of Cascade: he holds the noisy key, drives the protocol and corrects his key.
///
/// Usage: `start()` gives the first request; pass every `parityResponse` from Alice to
/// `receive(_:)`, which returns the next request or nil once all passes are done. Then
/// `correctedKey` equals Alice's key unless an even number of errors survived in every block
/// containing them (the residual frame error rate, to be caught by `VerificationHash`).
///
/// The first request asks the block parities of every pass at once (Alice's parities do not
/// depend on Bob's corrections; the last block of every pass after the first is inferred from
/// the whole key's parity). Passes are then worked through in order: every block of the current
/// pass whose parity disagrees is binary-searched (BINARY, Brassard and Salvail 1994), all
/// searches advancing together one level per round. Correcting a bit flips the parity of the
/// block holding it in every pass (the cascade effect); blocks of the passes reached so far
/// that become odd are searched too, those of the lowest pass first when
/// `CascadeParameters.searchesLowestPassFirst` is set (the others wait, and often turn even
/// meanwhile), and then at most `CascadeParameters.concurrentSearchLimit` blocks of a pass
/// after the first at a time. Every parity Alice discloses is kept, so none is asked
/// twice and searches re-entering a block reuse the halves already known. A pass whose blocks
/// all agree costs no round trip.
public struct CascadeBob: Sendable {
    /// The shared protocol settings.
    public let parameters: CascadeParameters
    /// The QBER estimate that sets the first block size.
    public let estimatedQBER: Double
    /// The number of parity bits received from Alice so far (the leakage of reconciliation).
    public private(set) var disclosedBits = 0
    /// The number of request/response exchanges completed so far.
    public private(set) var roundTrips = 0
    /// The number of key bits Bob has flipped.
    public private(set) var correctedBitCount = 0
    /// Whether all passes are done (`receive(_:)` has returned nil).
    public private(set) var isFinished = false

    /// Which kind of round the outstanding request belongs to.
    private enum Round {
        /// No request sent yet.
        case notStarted
        /// The request asks the block parities of every pass.
        case blockParities
        /// The request asks left-half parities for binary searches.
        case search
        /// The protocol is over.
        case finished
    }

    /// A block of one pass.
    private struct BlockReference {
        let pass: Int
        let block: Int
    }

    /// A parity Bob has asked for and where to record the answer.
    private struct PendingQuery {
        let block: BlockReference
        /// The tree node whose left child's parity is asked; 0 when the whole block's is asked.
        let parentNode: Int
        let range: Range<Int>
    }

    private let noisyKey: BitVector
    /// Bob's current key in original order.
    private var key: [UInt64]
    /// One state per pass (classes shared between copies of Bob until one mutates, see
    /// `makePassesUnique()`).
    private var passes: [CascadePassState] = [] {
        didSet { unretainedPasses = passes.map { Unmanaged.passUnretained($0) } }
    }
    /// `passes` without reference counting, for the hot loops (`passes` keeps them alive).
    private var unretainedPasses: [Unmanaged<CascadePassState>] = []
    /// Passes `0..<reachedPassCount` are being (or have been) worked through.
    private var reachedPassCount = 0
    private var round = Round.notStarted
    private var outstanding: [PendingQuery] = []
    /// Blocks that may hold an odd number of errors and must be (re-)examined.
    private var blocksToExamine: [BlockReference] = []
    /// Blocks whose binary search waits for the outstanding request.
    private var blocksAwaitingParities: [BlockReference] = []
    /// Odd blocks of later passes whose search waits until the lowest pass's searches are done.
    private var deferredBlocks: [BlockReference] = []

    /// Creates Bob's side. Throws if the key is empty or too long, the QBER estimate is not in
    /// `0..<0.5`, or the parameters are invalid.
    public init(noisyKey: BitVector, estimatedQBER: Double, parameters: CascadeParameters) throws {
        try parameters.validate()
        guard noisyKey.count > 0 else {
            throw QKDError(.invalidParameter, "Cascade needs a non-empty key")
        }
        guard noisyKey.count <= CascadePermutation.maximumLength else {
            throw QKDError(.invalidParameter, "Cascade key of \(noisyKey.count) bits exceeds \(CascadePermutation.maximumLength) bits")
        }
        guard estimatedQBER >= 0 && estimatedQBER < 0.5 else {
            throw QKDError(.invalidParameter, "Cascade QBER estimate \(estimatedQBER) is not in 0..<0.5")
        }
        self.noisyKey = noisyKey
        self.key = noisyKey.words
        self.estimatedQBER = estimatedQBER
        self.parameters = parameters
    }

    /// Bob's key with all corrections so far applied.
    public var correctedKey: BitVector { BitVector(words: key, count: noisyKey.count) }

    /// Starts the protocol: returns the first request (the block parities of every pass).
    /// Throws `QKDError.protocolFailure` if called a second time.
    public mutating func start() throws -> CascadeMessage {
        guard case .notStarted = round else {
            throw QKDError(.protocolFailure, "Cascade Bob was already started")
        }
        let layout = CascadeLayout.shared(length: noisyKey.count, parameters: parameters, estimatedQBER: estimatedQBER)
        var queries: [PendingQuery] = []
        for pass in 0..<parameters.passCount {
            let blockSize = parameters.blockSize(pass: pass, keyLength: noisyKey.count, estimatedQBER: estimatedQBER)
            let state = CascadePassState(order: layout.orders[pass], blockSize: blockSize, key: key, length: noisyKey.count)
            let askedBlockCount = pass == 0 ? state.blockCount : state.blockCount - 1
            for block in 0..<askedBlockCount {
                queries.append(PendingQuery(block: BlockReference(pass: pass, block: block), parentNode: 0, range: state.range(ofBlock: block)))
            }
            passes.append(state)
        }
        return request(queries, round: .blockParities)
    }

    /// Takes Alice's response to the outstanding request; returns the next request, or nil
    /// when all passes are done.
    ///
    /// Throws `QKDError` if the message is a request, no request is outstanding (before
    /// `start()` or after the end), or the number of parities differs from the number asked.
    public mutating func receive(_ message: CascadeMessage) throws -> CascadeMessage? {
        guard case .parityResponse(let parities) = message else {
            throw QKDError(.protocolFailure, "Cascade Bob expected a parity response but received a parity request")
        }
        switch round {
        case .notStarted:
            throw QKDError(.protocolFailure, "Cascade Bob received a parity response before start()")
        case .finished:
            throw QKDError(.protocolFailure, "Cascade Bob received a parity response after finishing")
        case .blockParities, .search:
            break
        }
        makePassesUnique()
        guard parities.count == outstanding.count else {
            throw QKDError(.malformedInput, "Cascade response carries \(parities.count) parities but \(outstanding.count) were requested")
        }
        disclosedBits += parities.count
        roundTrips += 1
        if case .blockParities = round {
            recordBlockParities(parities)
        } else {
            for (index, query) in outstanding.enumerated() {
                passes[query.block.pass].recordLeftParity(
                    parities[index], ofBlock: query.block.block, parentNode: query.parentNode)
            }
            blocksToExamine = blocksAwaitingParities + deferredBlocks
            blocksAwaitingParities = []
            deferredBlocks = []
        }
        outstanding = []
        return advance()
    }

    /// Gives this copy of Bob its own pass states if it shares them with another copy (pass
    /// states are classes for speed; this keeps `CascadeBob` a value).
    private mutating func makePassesUnique() {
        guard !passes.isEmpty, !isKnownUniquelyReferenced(&passes[0]) else { return }
        passes = passes.map { $0.copy() }
    }

    /// Runs local work until a request is needed, or the protocol ends.
    private mutating func advance() -> CascadeMessage? {
        while true {
            let searchQueries = collectSearchQueries()
            if !searchQueries.isEmpty { return request(searchQueries, round: .search) }
            guard reachedPassCount < passes.count else {
                round = .finished
                isFinished = true
                return nil
            }
            let pass = reachedPassCount
            reachedPassCount += 1
            for block in 0..<passes[pass].blockCount where passes[pass].hasOddErrorCount(block) {
                blocksToExamine.append(BlockReference(pass: pass, block: block))
            }
        }
    }

    /// Makes `queries` the outstanding request.
    private mutating func request(_ queries: [PendingQuery], round: Round) -> CascadeMessage {
        outstanding = queries
        self.round = round
        let wireQueries = queries.map { query in
            CascadeParityQuery(pass: query.block.pass, start: query.range.lowerBound, end: query.range.upperBound)
        }
        return .parityRequest(keyLength: noisyKey.count, queries: wireQueries)
    }

    /// Records the block parities of every pass, inferring the last block's of every pass after
    /// the first from the whole key's parity (the XOR of the first pass's block parities).
    private mutating func recordBlockParities(_ parities: BitVector) {
        var aliceKeyParity = false
        var passParity = false
        var currentPass = -1
        let currentKey = key
        currentKey.withUnsafeBufferPointer { keyWords in
            for (index, query) in outstanding.enumerated() {
                if query.block.pass != currentPass {
                    if currentPass >= 1 {
                        passes[currentPass].recordBlockParity(aliceKeyParity != passParity, ofBlock: passes[currentPass].blockCount - 1, key: keyWords)
                    }
                    currentPass = query.block.pass
                    passParity = false
                }
                let parity = parities[index]
                passes[currentPass].recordBlockParity(parity, ofBlock: query.block.block, key: keyWords)
                passParity = passParity != parity
                if currentPass == 0 { aliceKeyParity = passParity }
            }
            if currentPass >= 1 {
                passes[currentPass].recordBlockParity(aliceKeyParity != passParity, ofBlock: passes[currentPass].blockCount - 1, key: keyWords)
            }
            // Passes with a single block ask nothing: their parity is the whole key's.
            for pass in 1..<passes.count where passes[pass].blockCount == 1 {
                passes[pass].recordBlockParity(aliceKeyParity, ofBlock: 0, key: keyWords)
            }
        }
    }

    /// Advances every binary search as far as known parities allow, correcting the bits found
    /// and following the cascade effect, and returns the parities still needed.
    ///
    /// Corrections can change the path of searches examined earlier in the same sweep, so when
    /// a sweep corrected anything, the searches waiting for parities are examined again; the
    /// returned queries come from a sweep without corrections and are all current.
    private mutating func collectSearchQueries() -> [PendingQuery] {
        while true {
            let correctionsBefore = correctedBitCount
            var waiting: [PendingQuery] = []
            while let block = blocksToExamine.popLast() {
                if let query = searchStep(block) { waiting.append(query) }
            }
            if correctedBitCount == correctionsBefore {
                waiting.sort { ($0.block.pass, $0.block.block) < ($1.block.pass, $1.block.block) }
                var queries: [PendingQuery] = []
                queries.reserveCapacity(waiting.count)
                deferredBlocks = []
                for query in waiting {
                    if let last = queries.last, last.block.pass == query.block.pass, last.block.block == query.block.block { continue }
                    if parameters.searchesLowestPassFirst, let first = queries.first,
                       query.block.pass != first.block.pass || (query.block.pass > 0 && queries.count >= parameters.concurrentSearchLimit) {
                        if deferredBlocks.last.map({ $0.pass != query.block.pass || $0.block != query.block.block }) ?? true {
                            deferredBlocks.append(query.block)
                        }
                        continue
                    }
                    queries.append(query)
                }
                blocksAwaitingParities = queries.map(\.block)
                return queries
            }
            blocksToExamine = waiting.map(\.block)
        }
    }

    /// Binary-searches `reference` from its root using the known parities: corrects the error
    /// bit and returns nil if the search reaches it, returns nil if the block's error count is
    /// even, and otherwise returns the query for the first unknown left half.
    private mutating func searchStep(_ reference: BlockReference) -> PendingQuery? {
        let found: (query: PendingQuery?, originalIndex: Int) = unretainedPasses[reference.pass]._withUnsafeGuaranteedRef { state in
            guard state.hasOddErrorCount(reference.block) else { return (nil, -1) }
            var range = state.range(ofBlock: reference.block)
            var node = 1
            return key.withUnsafeBufferPointer { keyWords in
                while range.count > 1 {
                    let middle = range.lowerBound + range.count / 2
                    let leftHalf = range.lowerBound..<middle
                    guard let aliceParity = state.knownLeftParity(ofBlock: reference.block, parentNode: node) else {
                        return (PendingQuery(block: reference, parentNode: node, range: leftHalf), -1)
                    }
                    if aliceParity != state.parity(of: leftHalf, key: keyWords) {
                        range = leftHalf
                        node = 2 * node
                    } else {
                        range = middle..<range.upperBound
                        node = 2 * node + 1
                    }
                }
                return (nil, state.originalIndex(atPosition: range.lowerBound))
            }
        }
        if found.originalIndex >= 0 { correct(originalIndex: found.originalIndex) }
        return found.query
    }

    /// Flips key bit `originalIndex` in every pass and queues the blocks of the passes reached
    /// so far whose error count became odd.
    private mutating func correct(originalIndex: Int) {
        correctedBitCount += 1
        key[originalIndex >> 6] ^= 1 << UInt64(originalIndex & 63)
        let reached = reachedPassCount
        var toExamine: [BlockReference] = []
        swap(&toExamine, &blocksToExamine)
        unretainedPasses.withUnsafeBufferPointer { states in
            for pass in 0..<states.count {
                states[pass]._withUnsafeGuaranteedRef { state in
                    let block = state.flip(originalIndex: originalIndex)
                    if pass < reached, state.hasOddErrorCount(block) {
                        toExamine.append(BlockReference(pass: pass, block: block))
                    }
                }
            }
        }
        swap(&toExamine, &blocksToExamine)
    }
}
