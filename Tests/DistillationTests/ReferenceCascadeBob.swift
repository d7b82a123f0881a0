@testable import Distillation
import QKDCore

/// Bob's side of Cascade written as plainly as possible, to check `CascadeBob` against: the
/// same protocol rules (documented on `CascadeBob` and `CascadeParameters`) with a key of
/// `Bool`s, every pass's order as an explicit table, every parity recomputed bit by bit from the
/// current key, and Alice's disclosed parities in dictionaries. Slow on purpose; only the order
/// in which blocks are examined and corrections made is shared with the real one, because the
/// transcript depends on it.
struct ReferenceCascadeBob {
    /// A block of a pass.
    private struct Block: Hashable, Comparable {
        let pass: Int
        let block: Int
        static func < (lhs: Block, rhs: Block) -> Bool { (lhs.pass, lhs.block) < (rhs.pass, rhs.block) }
    }

    /// A stretch of a block's binary search, whose left part's parity is asked.
    private struct Node: Hashable {
        let block: Block
        let stretch: Range<Int>
    }

    /// A parity asked for: the whole block (`stretch == nil`) or the left part of `stretch`.
    private struct Query {
        let block: Block
        let stretch: Range<Int>?
        let range: Range<Int>
    }

    private let length: Int
    private let passCount: Int
    private let lowestPassFirst: Bool
    private let concurrentSearchLimit: Int
    /// `order[pass][position]` is the key index at `position` of the pass's order (the second
    /// pass's is ranked on reaching it, see `rankSecondPass()`).
    private var order: [[Int]]
    private let estimatedQBER: Double
    private let firstBlockSize: Int
    private let ranksSecondPass: Bool
    /// Once the second pass is ranked: the error weight of each of its positions.
    private var secondPassWeights: [UInt64] = []
    /// The blocks of every pass as position ranges.
    private let blocks: [[Range<Int>]]
    /// `blockHolding[pass][index]` is the block of pass `pass` that holds key index `index`.
    private let blockHolding: [[Int]]
    private(set) var key: [Bool]
    /// Alice's parity of every block (all known after the first round).
    private var aliceBlockParity: [Block: Bool] = [:]
    /// Alice's parities of left children disclosed during searches.
    private var aliceLeftParity: [Node: Bool] = [:]
    private var reachedPassCount = 0
    private var toExamine: [Block] = []
    private var awaiting: [Block] = []
    private var deferred: [Block] = []
    private var outstanding: [Query] = []
    private(set) var disclosedBits = 0
    private(set) var roundTrips = 0
    private(set) var correctedBitCount = 0

    init(noisyKey: BitVector, estimatedQBER: Double, parameters: CascadeParameters) {
        let length = noisyKey.count
        self.length = length
        passCount = parameters.passCount
        lowestPassFirst = parameters.searchesLowestPassFirst
        concurrentSearchLimit = parameters.concurrentSearchLimit
        self.estimatedQBER = estimatedQBER
        firstBlockSize = parameters.blockSize(pass: 0, keyLength: length, estimatedQBER: estimatedQBER)
        ranksSecondPass = parameters.ranksSecondPassByErrorLikelihood && parameters.usesPermutation(pass: 1) && parameters.passCount > 1
        key = (0..<noisyKey.count).map { noisyKey[$0] }
        let layout = CascadeLayout.shared(length: length, parameters: parameters, estimatedQBER: estimatedQBER)
        var order: [[Int]] = []
        var blocks: [[Range<Int>]] = []
        for pass in 0..<parameters.passCount {
            let blockSize = parameters.blockSize(pass: pass, keyLength: length, estimatedQBER: estimatedQBER)
            switch layout.orders[pass] {
            case .identity:
                order.append(Array(0..<length))
                blocks.append(stride(from: 0, to: length, by: blockSize).map { $0..<min($0 + blockSize, length) })
            case .permuted(let tables):
                order.append((0..<length).map { Int(tables.originalIndices[$0]) })
                blocks.append(stride(from: 0, to: length, by: blockSize).map { $0..<min($0 + blockSize, length) })
            case .split(let split):
                order.append((0..<length).map { split.originalIndex(atPosition: $0) })
                let members = split.memberCount
                blocks.append(members > 0 && members < length ? [0..<members, members..<length] : [0..<length])
            }
        }
        var blockHolding: [[Int]] = []
        for pass in 0..<parameters.passCount {
            var holding = [Int](repeating: 0, count: noisyKey.count)
            for (block, range) in blocks[pass].enumerated() {
                for position in range { holding[order[pass][position]] = block }
            }
            blockHolding.append(holding)
        }
        self.order = order
        self.blocks = blocks
        self.blockHolding = blockHolding
    }

    /// Bob's parity of positions `range` of pass `pass`, bit by bit.
    private func bobParity(pass: Int, _ range: Range<Int>) -> Bool {
        range.reduce(false) { $0 != key[order[pass][$1]] }
    }

    private func isOdd(_ block: Block) -> Bool {
        aliceBlockParity[block]! != bobParity(pass: block.pass, blocks[block.pass][block.block])
    }

    /// The first request: every block of pass 0, all but the last block of every later pass.
    mutating func start() -> CascadeMessage {
        var queries: [Query] = []
        for pass in 0..<passCount {
            let asked = pass == 0 ? blocks[pass].count : blocks[pass].count - 1
            for block in 0..<asked {
                queries.append(Query(block: Block(pass: pass, block: block), stretch: nil, range: blocks[pass][block]))
            }
        }
        return request(queries)
    }

    private mutating func request(_ queries: [Query]) -> CascadeMessage {
        outstanding = queries
        return .parityRequest(
            keyLength: length,
            queries: queries.map { CascadeParityQuery(pass: $0.block.pass, start: $0.range.lowerBound, end: $0.range.upperBound) })
    }

    /// Takes Alice's response; returns the next request or nil at the end.
    mutating func receive(_ message: CascadeMessage) -> CascadeMessage? {
        guard case .parityResponse(let parities) = message else { fatalError("reference Bob expected a response") }
        precondition(parities.count == outstanding.count)
        disclosedBits += parities.count
        roundTrips += 1
        if roundTrips == 1 {
            for (index, query) in outstanding.enumerated() { aliceBlockParity[query.block] = parities[index] }
            let keyParity = (0..<blocks[0].count).reduce(false) { $0 != aliceBlockParity[Block(pass: 0, block: $1)]! }
            for pass in 1..<max(1, passCount) {
                let last = Block(pass: pass, block: blocks[pass].count - 1)
                let asked = (0..<last.block).reduce(false) { $0 != aliceBlockParity[Block(pass: pass, block: $1)]! }
                aliceBlockParity[last] = keyParity != asked
            }
        } else {
            for (index, query) in outstanding.enumerated() {
                aliceLeftParity[Node(block: query.block, stretch: query.stretch!)] = parities[index]
            }
            toExamine = awaiting + deferred
            awaiting = []
            deferred = []
        }
        outstanding = []
        while true {
            let queries = searchQueries()
            if !queries.isEmpty { return request(queries) }
            guard reachedPassCount < passCount else { return nil }
            let pass = reachedPassCount
            reachedPassCount += 1
            if pass == 1 && ranksSecondPass { rankSecondPass() }
            for block in 0..<blocks[pass].count where isOdd(Block(pass: pass, block: block)) {
                toExamine.append(Block(pass: pass, block: block))
            }
        }
    }

    /// Examines queued blocks last first, repeating while corrections happen; then asks the
    /// searches' next halves, only the lowest pass's when searching lowest pass first.
    private mutating func searchQueries() -> [Query] {
        while true {
            let correctionsBefore = correctedBitCount
            var waiting: [Query] = []
            while let block = toExamine.popLast() {
                if let query = searchStep(block) { waiting.append(query) }
            }
            if correctedBitCount == correctionsBefore {
                var queries: [Query] = []
                deferred = []
                for query in waiting.sorted(by: { $0.block < $1.block }) {
                    if queries.last?.block == query.block || deferred.last == query.block { continue }
                    if lowestPassFirst, let first = queries.first,
                       query.block.pass != first.block.pass || (query.block.pass > 0 && queries.count >= concurrentSearchLimit) {
                        deferred.append(query.block)
                    } else {
                        queries.append(query)
                    }
                }
                awaiting = queries.map(\.block)
                return queries
            }
            toExamine = waiting.map(\.block)
        }
    }

    /// The second pass ranked as `CascadeLikelihoodRanking` documents it, written plainly: every
    /// key index's first-pass region (the smallest stretch of its block's tree, split in the
    /// middle, whose left parity is unknown), then each second-pass block's bits sorted by
    /// decreasing region size, ties in the pass's order, each weighted by the error density of
    /// its region in units of 2^-32.
    private mutating func rankSecondPass() {
        var regionSize = [Int](repeating: 0, count: length)
        for (block, range) in blocks[0].enumerated() {
            var stretches = [range]
            while let stretch = stretches.popLast() {
                let middle = stretch.lowerBound + stretch.count / 2
                if stretch.count > 1, aliceLeftParity[Node(block: Block(pass: 0, block: block), stretch: stretch)] != nil {
                    stretches += [stretch.lowerBound..<middle, middle..<stretch.upperBound]
                } else {
                    for index in stretch { regionSize[index] = stretch.count }
                }
            }
        }
        var ranked: [Int] = []
        for range in blocks[1] {
            ranked += range.map { (index: order[1][$0], position: $0) }
                .sorted { (-regionSize[$0.index], $0.position) < (-regionSize[$1.index], $1.position) }
                .map(\.index)
        }
        order[1] = ranked
        secondPassWeights = ranked.map {
            UInt64((CascadeLikelihoodRanking.expectedErrorDensity(regionSize: regionSize[$0], qber: estimatedQBER) * 0x1_0000_0000).rounded())
        }
    }

    /// Where a search splits `stretch` of pass `pass`: the middle, or in the ranked second pass
    /// the first `m` whose left part carries at least half the stretch's weight (the last
    /// possible if none), or `m − 1` when strictly closer to half; the middle if weightless.
    private func split(pass: Int, _ stretch: Range<Int>) -> Int {
        let middle = stretch.lowerBound + stretch.count / 2
        guard pass == 1 && !secondPassWeights.isEmpty else { return middle }
        let total = stretch.reduce(UInt64(0)) { $0 + secondPassWeights[$1] }
        guard total > 0 else { return middle }
        let candidates = (stretch.lowerBound + 1)..<stretch.upperBound
        let left = { (split: Int) in (stretch.lowerBound..<split).reduce(UInt64(0)) { $0 + secondPassWeights[$1] } }
        let split = candidates.first { 2 * left($0) >= total } ?? candidates.last!
        let distance = { (split: Int) in 2 * left(split) >= total ? 2 * left(split) - total : total - 2 * left(split) }
        return split > candidates.lowerBound && distance(split - 1) < distance(split) ? split - 1 : split
    }

    /// Walks the block's search tree from the root with the known parities: corrects the bit
    /// reached, or returns the first unknown left part.
    private mutating func searchStep(_ block: Block) -> Query? {
        guard isOdd(block) else { return nil }
        var range = blocks[block.pass][block.block]
        while range.count > 1 {
            let middle = split(pass: block.pass, range)
            guard let alice = aliceLeftParity[Node(block: block, stretch: range)] else {
                return Query(block: block, stretch: range, range: range.lowerBound..<middle)
            }
            if alice != bobParity(pass: block.pass, range.lowerBound..<middle) {
                range = range.lowerBound..<middle
            } else {
                range = middle..<range.upperBound
            }
        }
        let index = order[block.pass][range.lowerBound]
        key[index].toggle()
        correctedBitCount += 1
        // Every pass reached whose block holding the bit became odd is examined (pass order).
        for pass in 0..<reachedPassCount {
            let holder = Block(pass: pass, block: blockHolding[pass][index])
            if isOdd(holder) { toExamine.append(holder) }
        }
        return nil
    }
}
