import QKDCore

/// Bob's side of Cascade: he holds the noisy key, drives the protocol and corrects his key.
///
/// Usage: `start()` gives the first request; pass every `parityResponse` from Alice to
/// `receive(_:)`, which returns the next request or nil once all passes are done (or, with
/// Alice in the same process, `reconcile(with:)` runs that exchange without messages). Then
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
/// all agree costs no round trip. With `CascadeParameters.ranksSecondPassByErrorLikelihood`,
/// reaching the second pass ranks its blocks' bits by error likelihood
/// (`CascadeLikelihoodRanking`) and its searches split stretches by expected errors.
///
/// Bob is a value whose pass states are classes shared between copies until one of them takes a
/// step, which then copies every state: keep one copy and mutate it in place (a variable, or a
/// box as in `BobEndpoint`), since a copy per step costs as much as the whole key per pass.
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

    /// A block of one pass, packed into one integer.
    private struct BlockReference {
        let code: Int
        init(pass: Int, block: Int) { code = pass << 32 | block }
        var pass: Int { code >> 32 }
        var block: Int { code & 0xFFFF_FFFF }
    }

    private let noisyKey: BitVector
    /// Bob's current key in original order.
    private var key: [UInt64]
    /// One state per pass (classes shared between copies of Bob until one mutates, see
    /// `makePassesUnique()`); set only through `setPasses(_:)`.
    private var passes: [CascadePassState] = []
    /// `passes` without reference counting, for the hot loops (`passes` keeps them alive).
    private var unretainedPasses: [Unmanaged<CascadePassState>] = []
    /// Passes `0..<reachedPassCount` are being (or have been) worked through.
    private var reachedPassCount = 0
    /// Corrections update the passes `0..<max(reachedPassCount, eagerlyFlippedPassCount)`: the
    /// key-order and permuted passes always (a permuted pass keeps its own copy of Bob's key),
    /// a split pass only once reached (it reads the key in original order, so reaching it
    /// recomputes its block states, `CascadePassState.refreshOddBlocks`).
    private var eagerlyFlippedPassCount = 0
    private var round = Round.notStarted
    /// The queries of the outstanding request; the request carries this buffer, which is
    /// reused once the caller has let go of the request. A search query asks the left part of
    /// the stretch split at its end, in the block holding its start; the first request asks
    /// whole blocks.
    private var outstandingQueries: [CascadeParityQuery] = []
    /// While the next request is collected, the number of its queries written so far: they
    /// overwrite `outstandingQueries` from the front, so that the buffer is neither emptied
    /// nor regrown between rounds of the same size (`appendQuery(_:)`, `advance()`).
    private var collectedQueryCount = 0
    /// Blocks whose state changed (a parity arrived, a correction made them odd, their pass
    /// was reached) and that must be examined; every other odd block of a reached pass has
    /// been examined since its last change and waits at its search cursor.
    private var blocksToExamine: [BlockReference] = []

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
        try begin()
        return requestMessage
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
        makePassesUnique()
        guard try receive(parityWords: parities.words, count: parities.count) else { return nil }
        return requestMessage
    }

    /// Runs the whole protocol against `alice` in this process: each request's queries go to
    /// `CascadeAlice.answer(_:keyLength:into:)` and her parities come back, the exchange of
    /// `start()`, `respond(to:)` and `receive(_:)` without building a message for either (as
    /// `LDPCReconciler` runs LDPC); a search asking one parity per round runs to its end in one
    /// call (`searchAlone(with:)`), and so does each search of the first pass's first wave
    /// (`searchFirstPassInTurn(with:)`). The disclosed bits, the round trips and the corrected
    /// key are the same as through messages. Throws what `start()`, `answer` and `receive` throw.
    public mutating func reconcile(with alice: inout CascadeAlice) throws {
        try begin()
        // Bob is not copied while this runs, so his pass states stay his own.
        makePassesUnique()
        var parityWords: [UInt64] = []
        var isRequestOutstanding = true
        while isRequestOutstanding {
            // Nearly every search round carries one query.
            if case .search = round, outstandingQueries.count == 1 {
                isRequestOutstanding = try searchAlone(with: &alice)
            } else if case .search = round, reachedPassCount == 1 {
                isRequestOutstanding = try searchFirstPassInTurn(with: &alice)
            } else {
                try alice.answer(outstandingQueries, keyLength: noisyKey.count, into: &parityWords)
                isRequestOutstanding = try receive(parityWords: parityWords, count: outstandingQueries.count)
            }
        }
    }

    /// Lays out every pass and makes the block parities of every pass the outstanding request.
    private mutating func begin() throws {
        guard case .notStarted = round else {
            throw QKDError(.protocolFailure, "Cascade Bob was already started")
        }
        let layout = CascadeLayout.shared(length: noisyKey.count, parameters: parameters, estimatedQBER: estimatedQBER)
        var queries: [CascadeParityQuery] = []
        var states: [CascadePassState] = []
        for pass in 0..<parameters.passCount {
            let blockSize = parameters.blockSize(pass: pass, keyLength: noisyKey.count, estimatedQBER: estimatedQBER)
            let state = CascadePassState(order: layout.orders[pass], blockSize: blockSize, key: key, length: noisyKey.count)
            let askedBlockCount = pass == 0 ? state.blockCount : state.blockCount - 1
            for block in 0..<askedBlockCount {
                let range = state.range(ofBlock: block)
                queries.append(CascadeParityQuery(pass: pass, start: range.lowerBound, end: range.upperBound))
            }
            states.append(state)
        }
        setPasses(states)
        eagerlyFlippedPassCount = (states.lastIndex { !$0.readsOriginalOrder } ?? 0) + 1
        outstandingQueries = queries
        collectedQueryCount = queries.count
        round = .blockParities
    }

    /// Takes Alice's parities of the outstanding queries, `count` bits packed in
    /// `parityWords` (bit `i` of word `i / 64` answers query `i`); returns whether a new
    /// request is outstanding (false when all passes are done). The pass states must not be
    /// shared with another copy of Bob (`makePassesUnique()`).
    private mutating func receive(parityWords: [UInt64], count: Int) throws -> Bool {
        switch round {
        case .notStarted:
            throw QKDError(.protocolFailure, "Cascade Bob received a parity response before start()")
        case .finished:
            throw QKDError(.protocolFailure, "Cascade Bob received a parity response after finishing")
        case .blockParities, .search:
            break
        }
        let queryCount = outstandingQueries.count
        guard count == queryCount else {
            throw QKDError(.malformedInput, "Cascade response carries \(count) parities but \(queryCount) were requested")
        }
        disclosedBits += queryCount
        roundTrips += 1
        if case .blockParities = round {
            recordBlockParities(parityWords)
        } else {
            // Subscripts, not iterators: a round usually carries one or two parities, and an
            // iterator would retain the arrays it walks.
            for index in 0..<queryCount {
                let query = outstandingQueries[index]
                let parity = (parityWords[index >> 6] >> UInt64(index & 63)) & 1 == 1
                unretainedPasses[query.pass]._withUnsafeGuaranteedRef { $0.recordLeftParity(parity, split: query.end) }
            }
            return searchOn()
        }
        collectedQueryCount = 0
        return advance()
    }

    /// Runs the search of the one block the outstanding request asks about to its end, Alice
    /// answering each parity in turn (`reconcile(with:)`); returns whether a request is
    /// outstanding after the correction it ends with.
    ///
    /// A request of one query stays alone while its block's search goes on: no block changes
    /// parity until the search finds its error, so `continueSearches()` writes each next query
    /// over the last one. This is that sequence of one-query rounds, with the same parities
    /// disclosed and round trips counted, without a request per round.
    private mutating func searchAlone(with alice: inout CascadeAlice) throws -> Bool {
        var askedCount = 0
        defer {
            disclosedBits += askedCount
            roundTrips += askedCount
        }
        let errorIndex = try search(from: outstandingQueries[0], with: &alice, askedCount: &askedCount)
        correct(originalIndex: errorIndex)
        collectedQueryCount = 0
        return advance()
    }

    /// Runs the searches of the outstanding request while the first pass is the only one
    /// reached (its first wave of searches), one after the other, each to its end, Alice
    /// answering each parity (`reconcile(with:)`); returns whether a request is outstanding
    /// afterwards.
    ///
    /// Through messages these searches advance together, one parity each per round, until each
    /// has found its error. None affects another: a correction changes the error parity of its
    /// own block among the reached passes (the passes not reached yet are only flipped), and a
    /// search's path depends on its block alone. So run in turn they ask the same parities and
    /// correct the same bits, and the exchange takes as many round trips as the longest search
    /// asks parities.
    private mutating func searchFirstPassInTurn(with alice: inout CascadeAlice) throws -> Bool {
        var askedCount = 0
        var longestSearch = 0
        defer {
            disclosedBits += askedCount
            roundTrips += longestSearch
        }
        for index in 0..<outstandingQueries.count {
            let askedBefore = askedCount
            let errorIndex = try search(from: outstandingQueries[index], with: &alice, askedCount: &askedCount)
            longestSearch = max(longestSearch, askedCount - askedBefore)
            correct(originalIndex: errorIndex)
        }
        collectedQueryCount = 0
        return advance()
    }

    /// Runs the search of the block `query` asks about (its awaited parity) to its end, Alice
    /// answering `query` and every parity the search needs next; returns the key index of the
    /// error found. Adds the parities asked to `askedCount` as they are answered.
    @inline(__always)
    private mutating func search(from query: CascadeParityQuery, with alice: inout CascadeAlice, askedCount: inout Int) throws -> Int {
        let pass = query.pass
        let keyLength = noisyKey.count
        let state = unretainedPasses[pass]
        let block = state._withUnsafeGuaranteedRef { $0.block(atPosition: query.start) }
        let firstParity = try alice.answer(query, keyLength: keyLength)
        askedCount += 1
        state._withUnsafeGuaranteedRef { $0.recordLeftParity(firstParity, split: query.end) }
        let errorIndex = try key.withUnsafeBufferPointer { keyWords in
            try state._withUnsafeGuaranteedRef { state in
                try state.advanceSearch(ofBlock: block, key: keyWords) { lower, split in
                    let parity = try alice.answer(CascadeParityQuery(pass: pass, start: lower, end: split), keyLength: keyLength)
                    askedCount += 1
                    return parity
                }
            }
        }
        precondition(errorIndex >= 0, "a search with every parity answered ends at an error")
        return errorIndex
    }

    /// After a search round's parities are recorded: the next request, from the same blocks
    /// when no error turned up (`continueSearches()`), else from `advance()`; returns whether
    /// one is outstanding.
    private mutating func searchOn() -> Bool {
        if continueSearches() {
            round = .search
            return true
        }
        collectedQueryCount = 0
        return advance()
    }

    /// Gives this copy of Bob its own pass states if it shares them with another copy (pass
    /// states are classes for speed; this keeps `CascadeBob` a value).
    private mutating func makePassesUnique() {
        guard !passes.isEmpty, !isKnownUniquelyReferenced(&passes[0]) else { return }
        setPasses(passes.map { $0.copy() })
    }

    private mutating func setPasses(_ states: [CascadePassState]) {
        passes = states
        unretainedPasses = states.map { Unmanaged.passUnretained($0) }
    }

    /// Runs local work until a request is needed (returns true), or the protocol ends (false).
    private mutating func advance() -> Bool {
        while true {
            collectSearchQueries()
            if collectedQueryCount > 0 {
                if outstandingQueries.count > collectedQueryCount {
                    outstandingQueries.removeLast(outstandingQueries.count - collectedQueryCount)
                }
                round = .search
                return true
            }
            guard reachedPassCount < passes.count else {
                round = .finished
                isFinished = true
                return false
            }
            let pass = reachedPassCount
            reachedPassCount += 1
            if pass == 1 && parameters.ranksSecondPassByErrorLikelihood {
                rankSecondPass()
            }
            if pass >= eagerlyFlippedPassCount {
                key.withUnsafeBufferPointer { keyWords in
                    unretainedPasses[pass]._withUnsafeGuaranteedRef { $0.refreshOddBlocks(key: keyWords) }
                }
            }
            unretainedPasses[pass]._withUnsafeGuaranteedRef { state in
                var block = state.firstOddBlock(from: 0)
                while block < state.blockCount {
                    blocksToExamine.append(BlockReference(pass: pass, block: block))
                    block = state.firstOddBlock(from: block + 1)
                }
            }
        }
    }

    /// Ranks the second pass's bits by error likelihood from the first pass's regions, if it is
    /// a permuted pass (`CascadeParameters.ranksSecondPassByErrorLikelihood`); Alice does the
    /// same when she sees the first query of a later pass.
    private mutating func rankSecondPass() {
        guard passes.count > 1, unretainedPasses[1]._withUnsafeGuaranteedRef({ $0.isPermuted }) else { return }
        passes[1].rankByErrorLikelihood(firstPass: passes[0], estimatedQBER: estimatedQBER)
    }

    /// Makes `query` the next query of the request being collected.
    @inline(__always)
    private mutating func appendQuery(_ query: CascadeParityQuery) {
        if collectedQueryCount < outstandingQueries.count {
            outstandingQueries[collectedQueryCount] = query
        } else {
            outstandingQueries.append(query)
        }
        collectedQueryCount += 1
    }

    /// The outstanding request as a message.
    private var requestMessage: CascadeMessage {
        .parityRequest(keyLength: noisyKey.count, queries: outstandingQueries)
    }

    /// Records the block parities of every pass from the first response, whose bits answer the
    /// queries `begin()` laid out: every block of the first pass, then every block but the last
    /// of each later pass (none of a pass with one block). The last block's parity of every
    /// later pass is inferred from the whole key's parity (the XOR of the first pass's block
    /// parities). Passes that see every correction then learn which of their blocks are odd;
    /// the others when they are reached.
    private mutating func recordBlockParities(_ parityWords: [UInt64]) {
        let states = unretainedPasses
        let eagerlyFlippedPassCount = eagerlyFlippedPassCount
        parityWords.withUnsafeBufferPointer { parities in
            key.withUnsafeBufferPointer { keyWords in
                var offset = 0
                var aliceKeyParity = false
                for pass in 0..<states.count {
                    states[pass]._withUnsafeGuaranteedRef { state in
                        let askedCount = pass == 0 ? state.blockCount : state.blockCount - 1
                        state.recordAliceBlockParities(parities, from: offset, count: askedCount)
                        let askedParity = PackedBits.parity(parities, offset..<offset + askedCount)
                        if pass == 0 {
                            aliceKeyParity = askedParity
                        } else {
                            state.recordAliceBlockParity(aliceKeyParity != askedParity, ofBlock: state.blockCount - 1)
                        }
                        offset += askedCount
                        if pass < eagerlyFlippedPassCount { state.refreshOddBlocks(key: keyWords) }
                    }
                }
            }
        }
    }

    /// Advances every binary search as far as known parities allow, correcting the bits found
    /// and following the cascade effect, and collects the parities still needed (`appendQuery(_:)`).
    ///
    /// Only the blocks in `blocksToExamine` are walked (last queued first): a search's path
    /// depends only on Alice's known parities and Bob's bits inside its block, and both change
    /// only for blocks that are queued (a parity arrives for an outstanding block; a correction
    /// goes through `CascadePassState.flip`, which clears the block's cursor, and `correct`
    /// queues the block if it turned odd). So once the queue is empty, every odd block of a
    /// reached pass waits at its cursor for one parity, and the next queries are read off the
    /// passes' odd-block tables in pass and block order: with `searchesLowestPassFirst`, the
    /// odd blocks of the lowest pass that has any (after the first pass, at most
    /// `concurrentSearchLimit` of them, lowest index first); otherwise every odd block.
    private mutating func collectSearchQueries() {
        while let block = blocksToExamine.popLast() { searchStep(block) }
        let lowestPassFirst = parameters.searchesLowestPassFirst
        for pass in 0..<reachedPassCount where unretainedPasses[pass]._withUnsafeGuaranteedRef({ $0.hasOddBlocks }) {
            var selected = 0
            unretainedPasses[pass]._withUnsafeGuaranteedRef { state in
                // No scan past the last odd block.
                let limit = min(lowestPassFirst && pass > 0 ? parameters.concurrentSearchLimit : Int.max, state.oddBlockCount)
                var block = state.firstOddBlock(from: 0)
                while block < state.blockCount && selected < limit {
                    let awaited = state.awaitedQuery(ofBlock: block)
                    appendQuery(CascadeParityQuery(pass: pass, start: awaited.lowerBound, end: awaited.split))
                    selected += 1
                    guard selected < limit else { break }
                    block = state.firstOddBlock(from: block + 1)
                }
            }
            if lowestPassFirst && selected > 0 { break }
        }
    }

    /// Advances the searches of the blocks just answered, last queried first as
    /// `collectSearchQueries()` would, while none of them finds an error, writing each block's
    /// next query over its last one. Returns true if none did: no block changed parity, so the
    /// next request selects the same blocks, and it is ready. Otherwise the blocks not yet
    /// examined are queued below the ones the correction queued, as they would have been, and
    /// it returns false for `advance()` to take over.
    ///
    /// This is the common round (no error found), taken without the queue and the odd-block
    /// tables; the transcript is the same as through `collectSearchQueries()`.
    private mutating func continueSearches() -> Bool {
        // The last sweep emptied `blocksToExamine`.
        var index = outstandingQueries.count - 1
        while index >= 0 {
            let query = outstandingQueries[index]
            let reference = block(asked: query)
            let outcome = advanceSearch(reference)
            if outcome >= 0 {
                for earlier in 0..<index { blocksToExamine.append(block(asked: outstandingQueries[earlier])) }
                correct(originalIndex: outcome)
                return false
            }
            assert(outcome == CascadePassState.searchAwaitsParity, "a block changed parity without a correction")
            let awaited = unretainedPasses[query.pass]._withUnsafeGuaranteedRef { $0.awaitedQuery(ofBlock: reference.block) }
            outstandingQueries[index] = CascadeParityQuery(pass: query.pass, start: awaited.lowerBound, end: awaited.split)
            index -= 1
        }
        collectedQueryCount = outstandingQueries.count
        return true
    }

    /// Advances the binary search of `reference` (`CascadePassState.advanceSearch`): corrects
    /// the error bit if the search reaches it.
    private mutating func searchStep(_ reference: BlockReference) {
        let outcome = advanceSearch(reference)
        if outcome >= 0 { correct(originalIndex: outcome) }
    }

    /// The block `query` asks about: the one holding its first position.
    @inline(__always)
    private func block(asked query: CascadeParityQuery) -> BlockReference {
        BlockReference(pass: query.pass, block: unretainedPasses[query.pass]._withUnsafeGuaranteedRef { $0.block(atPosition: query.start) })
    }

    /// `CascadePassState.advanceSearch(ofBlock:key:)` on block `reference` with Bob's key.
    @inline(__always)
    private func advanceSearch(_ reference: BlockReference) -> Int {
        let state = unretainedPasses[reference.pass]
        return key.withUnsafeBufferPointer { keyWords in
            state._withUnsafeGuaranteedRef { $0.advanceSearch(ofBlock: reference.block, key: keyWords) }
        }
    }

    /// Flips key bit `originalIndex` in every pass and queues the blocks of the passes reached
    /// so far whose error count became odd.
    private mutating func correct(originalIndex: Int) {
        correctedBitCount += 1
        key[originalIndex >> 6] ^= 1 << UInt64(originalIndex & 63)
        let reached = reachedPassCount
        let flippedPassCount = max(reached, eagerlyFlippedPassCount)
        var toExamine: [BlockReference] = []
        swap(&toExamine, &blocksToExamine)
        unretainedPasses.withUnsafeBufferPointer { states in
            for pass in 0..<flippedPassCount {
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

