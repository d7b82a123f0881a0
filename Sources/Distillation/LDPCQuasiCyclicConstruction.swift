import QKDCore

/// Builds the quasi-cyclic LDPC codes of the reconciliation family, deterministically from an
/// `LDPCCode.Identifier`.
///
/// 1. Base graph: progressive edge growth (X.-Y. Hu, E. Eleftheriou, D. M. Arnold, "Regular and
///    irregular progressive edge-growth Tanner graphs", IEEE Trans. Inf. Theory 51 (2005) 386)
///    on the 800-column base graph with the column degrees of the identifier's
///    `LDPCDegreeProfile`: columns in ascending degree, each new edge to a check at maximal
///    distance from the column (or unreachable), the least-connected such check, ties broken by
///    a `SeededGenerator` stream of the seed. This concentrates the check degrees.
/// 2. Lifting: every base edge becomes a `Z × Z` circulant permutation matrix; its shift is drawn
///    from the seed's stream and redrawn (up to 64 times) while it closes a 4-cycle in the lifted
///    graph (shifts `a − b + c − d ≡ 0 mod Z` around a base 4-cycle), so the lifted code has
///    girth at least 6 wherever the draws allow it (QC-PEG in the sense of Z. Li, B. V. K. V.
///    Kumar, "A class of good quasi-cyclic low-density parity check codes based on progressive
///    edge growth graph", Asilomar 2004).
/// 3. Puncturing order: untainted puncturing (Elkouss, Martinez-Mateo, Martin 2012), candidates
///    taken by ascending degree, ties in seeded random order.
public enum LDPCQuasiCyclicConstruction {
    /// The largest lifting factor accepted: codes of up to 800 · 8192 = 6 553 600 symbols.
    public static let maximumLiftingFactor = 8192

    /// Throws `QKDError.invalidParameter` for an unknown profile index or a lifting factor
    /// outside `1...maximumLiftingFactor`.
    public static func validate(_ identifier: LDPCCode.Identifier) throws {
        guard LDPCDegreeProfile.family.indices.contains(identifier.profileIndex) else {
            throw QKDError(.invalidParameter, "LDPC profile index \(identifier.profileIndex) is not in 0..<\(LDPCDegreeProfile.family.count)")
        }
        guard identifier.liftingFactor >= 1 && identifier.liftingFactor <= maximumLiftingFactor else {
            throw QKDError(.invalidParameter, "LDPC lifting factor \(identifier.liftingFactor) is not in 1...\(maximumLiftingFactor)")
        }
    }

    /// Builds the code of `identifier`; throws as `validate` does.
    public static func code(_ identifier: LDPCCode.Identifier) throws -> LDPCCode {
        try validate(identifier)
        let profile = identifier.profile
        var generator = SeededGenerator(seed: identifier.seed, stream: "ldpc-qc-peg-\(identifier.profileIndex)")
        let base = progressiveEdgeGrowth(profile: profile, using: &generator)
        let lifting = identifier.liftingFactor
        let shifts = circulantShifts(base: base, checkCount: profile.baseCheckCount, liftingFactor: lifting, using: &generator)

        let checkCount = profile.baseCheckCount * lifting
        let variableCount = LDPCDegreeProfile.baseColumnCount * lifting
        var rowStart = [Int32](repeating: 0, count: checkCount + 1)
        var edgeVariable = [Int32]()
        edgeVariable.reserveCapacity(profile.baseEdgeCount * lifting)
        for baseRow in 0..<profile.baseCheckCount {
            let columns = base.checkVariables[baseRow].sorted()
            for offset in 0..<lifting {
                for column in columns {
                    let shift = shifts[baseRow * LDPCDegreeProfile.baseColumnCount + column]
                    edgeVariable.append(Int32(column * lifting + (offset + shift) % lifting))
                }
                rowStart[baseRow * lifting + offset + 1] = Int32(edgeVariable.count)
            }
        }
        let order = untaintedPuncturingOrder(rowStart: rowStart, edgeVariable: edgeVariable, variableCount: variableCount, using: &generator)
        return LDPCCode(identifier: identifier, variableCount: variableCount, rowStart: rowStart, edgeVariable: edgeVariable, puncturingOrder: order)
    }

    struct BaseGraph {
        var variableChecks: [[Int]]
        var checkVariables: [[Int]]
    }

    /// Progressive edge growth on the base graph.
    static func progressiveEdgeGrowth(profile: LDPCDegreeProfile, using generator: inout SeededGenerator) -> BaseGraph {
        let columnCount = LDPCDegreeProfile.baseColumnCount
        let checkCount = profile.baseCheckCount
        var degrees = [Int]()
        for entry in profile.variableDegreeCounts { degrees += Array(repeating: entry.degree, count: entry.count) }
        precondition(degrees.count == columnCount, "degree profile does not cover the base columns")
        var graph = BaseGraph(variableChecks: Array(repeating: [], count: columnCount), checkVariables: Array(repeating: [], count: checkCount))
        var checkDepth = [Int](repeating: -1, count: checkCount)
        var variableSeen = [Int](repeating: -1, count: columnCount)
        var searchStamp = 0
        var frontier = [Int]()
        var nextFrontier = [Int]()

        func leastConnected(_ candidates: [Int], using generator: inout SeededGenerator) -> Int {
            let lowest = candidates.map { graph.checkVariables[$0].count }.min()!
            let best = candidates.filter { graph.checkVariables[$0].count == lowest }
            return best[Int(generator.next() % UInt64(best.count))]
        }

        for variable in 0..<columnCount {
            for edge in 0..<degrees[variable] {
                let check: Int
                if edge == 0 {
                    check = leastConnected(Array(0..<checkCount), using: &generator)
                } else {
                    // Breadth-first search from `variable` over checks; stop when no new check
                    // is reached (take an unreached one) or every check is reached (take one of
                    // the last level reached).
                    for index in 0..<checkCount { checkDepth[index] = -1 }
                    searchStamp += 1
                    variableSeen[variable] = searchStamp
                    frontier = [variable]
                    var reached = 0
                    var depth = 0
                    var lastLevel = [Int]()
                    while true {
                        var level = [Int]()
                        nextFrontier.removeAll(keepingCapacity: true)
                        for node in frontier {
                            for neighbour in graph.variableChecks[node] where checkDepth[neighbour] < 0 {
                                checkDepth[neighbour] = depth
                                level.append(neighbour)
                                for other in graph.checkVariables[neighbour] where variableSeen[other] != searchStamp {
                                    variableSeen[other] = searchStamp
                                    nextFrontier.append(other)
                                }
                            }
                        }
                        if level.isEmpty { break }
                        reached += level.count
                        lastLevel = level
                        if reached == checkCount { break }
                        swap(&frontier, &nextFrontier)
                        depth += 1
                    }
                    if reached < checkCount {
                        check = leastConnected((0..<checkCount).filter { checkDepth[$0] < 0 }, using: &generator)
                    } else {
                        let fresh = lastLevel.filter { !graph.variableChecks[variable].contains($0) }
                        check = leastConnected(fresh.isEmpty ? (0..<checkCount).filter { !graph.variableChecks[variable].contains($0) } : fresh, using: &generator)
                    }
                }
                graph.variableChecks[variable].append(check)
                graph.checkVariables[check].append(variable)
            }
        }
        return graph
    }

    /// One circulant shift per base edge (`-1` where the base matrix is zero), avoiding 4-cycles
    /// in the lifted graph where 64 draws find such a shift.
    static func circulantShifts(base: BaseGraph, checkCount: Int, liftingFactor: Int, using generator: inout SeededGenerator) -> [Int] {
        let columnCount = LDPCDegreeProfile.baseColumnCount
        var shifts = [Int](repeating: -1, count: checkCount * columnCount)
        for column in 0..<columnCount {
            for check in base.variableChecks[column] {
                var chosen = Int(generator.next() % UInt64(liftingFactor))
                for _ in 0..<64 {
                    var closesFourCycle = false
                    search: for otherColumn in base.checkVariables[check] where otherColumn != column {
                        let shiftCheckOther = shifts[check * columnCount + otherColumn]
                        if shiftCheckOther < 0 { continue }
                        for otherCheck in base.variableChecks[column] where otherCheck != check {
                            let shiftOtherColumn = shifts[otherCheck * columnCount + column]
                            let shiftOtherOther = shifts[otherCheck * columnCount + otherColumn]
                            if shiftOtherColumn < 0 || shiftOtherOther < 0 { continue }
                            let around = chosen - shiftOtherColumn + shiftOtherOther - shiftCheckOther
                            if ((around % liftingFactor) + liftingFactor) % liftingFactor == 0 {
                                closesFourCycle = true
                                break search
                            }
                        }
                    }
                    if !closesFourCycle { break }
                    chosen = Int(generator.next() % UInt64(liftingFactor))
                }
                shifts[check * columnCount + column] = chosen
            }
        }
        return shifts
    }

    /// Untainted puncturing: repeatedly take a symbol none of whose checks touches an already
    /// punctured symbol, lowest degree first.
    static func untaintedPuncturingOrder(rowStart: [Int32], edgeVariable: [Int32], variableCount: Int, using generator: inout SeededGenerator) -> [Int32] {
        let checkCount = rowStart.count - 1
        var columnStart = [Int32](repeating: 0, count: variableCount + 1)
        for variable in edgeVariable { columnStart[Int(variable) + 1] += 1 }
        for index in 0..<variableCount { columnStart[index + 1] += columnStart[index] }
        var fill = Array(columnStart.dropLast())
        var columnChecks = [Int32](repeating: 0, count: edgeVariable.count)
        for row in 0..<checkCount {
            for edge in Int(rowStart[row])..<Int(rowStart[row + 1]) {
                let variable = Int(edgeVariable[edge])
                columnChecks[Int(fill[variable])] = Int32(row)
                fill[variable] += 1
            }
        }
        var candidates = (0..<variableCount).map { (variable: $0, key: generator.next()) }
        candidates.sort { lhs, rhs in
            let lhsDegree = columnStart[lhs.variable + 1] - columnStart[lhs.variable]
            let rhsDegree = columnStart[rhs.variable + 1] - columnStart[rhs.variable]
            return lhsDegree != rhsDegree ? lhsDegree < rhsDegree : lhs.key < rhs.key
        }
        var tainted = [Bool](repeating: false, count: checkCount)
        var order = [Int32]()
        for candidate in candidates {
            let checks = Int(columnStart[candidate.variable])..<Int(columnStart[candidate.variable + 1])
            if checks.contains(where: { tainted[Int(columnChecks[$0])] }) { continue }
            for edge in checks { tainted[Int(columnChecks[edge])] = true }
            order.append(Int32(candidate.variable))
        }
        return order
    }
}
