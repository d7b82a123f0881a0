import QKDCore

/// Bob's side of Cascade: he holds the noisy key, drives the protocol and corrects his key.
///
/// Usage: `start()` gives the first request; pass every `parityResponse` from Alice to
/// `receive(_:)`, which returns the next request or nil once all passes are done. Then
/// `correctedKey` equals Alice's key unless an even number of errors survived in every block
/// containing them (the residual frame error rate, to be caught by `VerificationHash`).
///
/// Each pass starts with one round asking the parities of all its blocks. Every block whose
/// parity disagrees is binary-searched (BINARY, Brassard and Salvail 1994), all searches
/// advancing together one level per round. Correcting a bit flips the parity of the block
/// holding it in every started pass (the cascade effect); blocks that become odd are searched
/// too. Every parity Alice discloses is kept, so none is asked twice and searches re-entering a
/// block reuse the halves already known.
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
        /// The request asks the block parities of a newly started pass.
        case passStart(pass: Int)
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
    private var passes: [CascadePassState] = []
    private var round = Round.notStarted
    private var outstanding: [PendingQuery] = []
    /// The parity of Alice's whole key (the XOR of her pass-0 block parities).
    private var aliceKeyParity = false
    /// Blocks that may hold an odd number of errors and must be (re-)examined.
    private var blocksToExamine: [BlockReference] = []
    /// Blocks whose binary search waits for the outstanding request.
    private var blocksAwaitingParities: [BlockReference] = []

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
        self.estimatedQBER = estimatedQBER
        self.parameters = parameters
    }

    /// Bob's key with all corrections so far applied.
    public var correctedKey: BitVector { passes.first?.permutedKey ?? noisyKey }

    /// Starts the protocol: returns the first request (the block parities of pass 0).
    /// Throws `QKDError.protocolFailure` if called a second time.
    public mutating func start() throws -> CascadeMessage {
        guard case .notStarted = round else {
            throw QKDError(.protocolFailure, "Cascade Bob was already started")
        }
        return request(beginPass(0), round: .passStart(pass: 0))
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
        case .passStart, .search:
            break
        }
        guard parities.count == outstanding.count else {
            throw QKDError(.malformedInput, "Cascade response carries \(parities.count) parities but \(outstanding.count) were requested")
        }
        disclosedBits += parities.count
        roundTrips += 1
        if case .passStart(let pass) = round {
            recordBlockParities(parities, ofPass: pass)
        } else {
            for (index, query) in outstanding.enumerated() {
                passes[query.block.pass].recordLeftParity(
                    parities[index], ofBlock: query.block.block, parentNode: query.parentNode)
            }
            blocksToExamine = blocksAwaitingParities
            blocksAwaitingParities = []
        }
        outstanding = []
        return advance()
    }

    /// Runs local work until a request is needed, or the protocol ends.
    private mutating func advance() -> CascadeMessage? {
        while true {
            let searchQueries = collectSearchQueries()
            if !searchQueries.isEmpty { return request(searchQueries, round: .search) }
            guard passes.count < parameters.passCount else {
                round = .finished
                isFinished = true
                return nil
            }
            let pass = passes.count
            let blockQueries = beginPass(pass)
            if !blockQueries.isEmpty { return request(blockQueries, round: .passStart(pass: pass)) }
        }
    }

    /// Sets up pass `pass` and returns the queries for its block parities: all of them for
    /// pass 0, all but the last afterwards (it follows from the whole key's parity). When no
    /// query is needed (a single block after pass 0) the pass's parities are recorded at once.
    private mutating func beginPass(_ pass: Int) -> [PendingQuery] {
        let blockSize = parameters.blockSize(pass: pass, keyLength: noisyKey.count, estimatedQBER: estimatedQBER)
        let permutation = CascadePermutation(
            length: noisyKey.count, seed: parameters.permutationSeed, pass: pass, includeInverse: true)
        let state = CascadePassState(key: correctedKey, blockSize: blockSize, permutation: permutation)
        passes.append(state)
        let askedBlockCount = pass == 0 ? state.blockCount : state.blockCount - 1
        if askedBlockCount == 0 { recordBlockParities(BitVector(count: 0), ofPass: pass) }
        return (0..<askedBlockCount).map { block in
            PendingQuery(block: BlockReference(pass: pass, block: block), parentNode: 0, range: state.range(ofBlock: block))
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

    /// Records the block parities of a new pass (inferring the last one after pass 0) and
    /// queues its odd blocks for binary search.
    private mutating func recordBlockParities(_ parities: BitVector, ofPass pass: Int) {
        var parityOfAskedBlocks = false
        for block in 0..<parities.count {
            passes[pass].recordBlockParity(parities[block], ofBlock: block)
            parityOfAskedBlocks = parityOfAskedBlocks != parities[block]
        }
        if pass == 0 {
            aliceKeyParity = parityOfAskedBlocks
        } else {
            passes[pass].recordBlockParity(aliceKeyParity != parityOfAskedBlocks, ofBlock: passes[pass].blockCount - 1)
        }
        for block in 0..<passes[pass].blockCount where passes[pass].hasOddErrorCount[block] {
            blocksToExamine.append(BlockReference(pass: pass, block: block))
        }
    }

    /// Advances every binary search as far as known parities allow, correcting the bits found
    /// and following the cascade effect, and returns the parities still needed.
    ///
    /// Corrections can change the path of searches examined earlier, so the searches waiting
    /// for parities are re-checked until a sweep corrects nothing; the returned queries are
    /// then all current.
    private mutating func collectSearchQueries() -> [PendingQuery] {
        var queries: [PendingQuery] = []
        repeat {
            while let block = blocksToExamine.popLast() {
                if searchStep(block) != nil { blocksAwaitingParities.append(block) }
            }
            blocksAwaitingParities.sort { ($0.pass, $0.block) < ($1.pass, $1.block) }
            var stillAwaiting: [BlockReference] = []
            queries = []
            var previous: BlockReference?
            for block in blocksAwaitingParities {
                if let previous, previous.pass == block.pass, previous.block == block.block { continue }
                previous = block
                if let query = searchStep(block) {
                    queries.append(query)
                    stillAwaiting.append(block)
                }
            }
            blocksAwaitingParities = stillAwaiting
        } while !blocksToExamine.isEmpty
        return queries
    }

    /// Binary-searches `reference` from its root using the known parities: corrects the error
    /// bit and returns nil if the search reaches it, returns nil if the block's error count is
    /// even, and otherwise returns the query for the first unknown left half.
    private mutating func searchStep(_ reference: BlockReference) -> PendingQuery? {
        let pass = reference.pass
        guard passes[pass].hasOddErrorCount[reference.block] else { return nil }
        var range = passes[pass].range(ofBlock: reference.block)
        var node = 1
        while range.count > 1 {
            let middle = range.lowerBound + range.count / 2
            let leftHalf = range.lowerBound..<middle
            guard let aliceParity = passes[pass].knownLeftParity(ofBlock: reference.block, parentNode: node) else {
                return PendingQuery(block: reference, parentNode: node, range: leftHalf)
            }
            if aliceParity != passes[pass].permutedKey.parity(of: leftHalf) {
                range = leftHalf
                node = 2 * node
            } else {
                range = middle..<range.upperBound
                node = 2 * node + 1
            }
        }
        correct(originalIndex: passes[pass].permutation.originalIndex(atPosition: range.lowerBound))
        return nil
    }

    /// Flips key bit `originalIndex` in every started pass and queues the blocks whose error
    /// count became odd.
    private mutating func correct(originalIndex: Int) {
        correctedBitCount += 1
        for pass in passes.indices {
            let block = passes[pass].flip(originalIndex: originalIndex)
            if passes[pass].hasOddErrorCount[block] {
                blocksToExamine.append(BlockReference(pass: pass, block: block))
            }
        }
    }
}
