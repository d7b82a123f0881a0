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

    /// A tree node of a block's binary search: the left child of `node` (heap numbering).
    private struct Node: Hashable {
        let block: Block
        let node: Int
    }

    /// A parity asked for: the whole block (`node == 0`) or the left child of `node`.
    private struct Query {
        let block: Block
        let node: Int
        let range: Range<Int>
    }

    private let length: Int
    private let passCount: Int
    private let lowestPassFirst: Bool
    private let concurrentSearchLimit: Int
    /// `order[pass][position]` is the key index at `position` of the pass's order.
    private let order: [[Int]]
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
                queries.append(Query(block: Block(pass: pass, block: block), node: 0, range: blocks[pass][block]))
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
                aliceLeftParity[Node(block: query.block, node: query.node)] = parities[index]
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

    /// Walks the block's search tree from the root with the known parities: corrects the bit
    /// reached, or returns the first unknown left half.
    private mutating func searchStep(_ block: Block) -> Query? {
        guard isOdd(block) else { return nil }
        var range = blocks[block.pass][block.block]
        var node = 1
        while range.count > 1 {
            let middle = range.lowerBound + range.count / 2
            guard let alice = aliceLeftParity[Node(block: block, node: node)] else {
                return Query(block: block, node: node, range: range.lowerBound..<middle)
            }
            if alice != bobParity(pass: block.pass, range.lowerBound..<middle) {
                range = range.lowerBound..<middle
                node = 2 * node
            } else {
                range = middle..<range.upperBound
                node = 2 * node + 1
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
