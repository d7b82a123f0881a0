import CLDPC

/// The parity-check matrix of a quasi-cyclic `LDPCCode` in the layout of the decoder kernel
/// (`cldpc_graph` in target `CLDPC`): the rows in blocks of `Z` (one base row lifted), edges
/// stored slot-major within a block, so that the `Z` rows of a block, which never share a
/// column, can be decoded side by side in SIMD lanes.
///
/// Built once per code and immutable afterwards, so decoders on any thread can share it.
final class LDPCBlockLayout: @unchecked Sendable {
    private let blockDegree: UnsafeMutableBufferPointer<Int32>
    private let blockEdgeStart: UnsafeMutableBufferPointer<Int32>
    private let edgeVariable: UnsafeMutableBufferPointer<Int32>
    /// The kernel's view of the matrix.
    let graph: cldpc_graph

    /// Rearranges `H` given row by row (`rowStart`, `edgeVariable`) with `checkCount = blocks · lifting`
    /// rows, where every row of a block has its ones in the same circulants, in the same order.
    init(rowStart: [Int32], edgeVariable rowEdges: [Int32], variableCount: Int, lifting: Int) {
        let checkCount = rowStart.count - 1
        precondition(lifting >= 1 && checkCount % lifting == 0, "LDPC check count is not a multiple of the lifting factor")
        let blocks = checkCount / lifting
        blockDegree = .allocate(capacity: blocks)
        blockEdgeStart = .allocate(capacity: blocks + 1)
        edgeVariable = .allocate(capacity: rowEdges.count)
        blockEdgeStart[0] = 0
        for block in 0..<blocks {
            let first = block * lifting
            let degree = Int(rowStart[first + 1] - rowStart[first])
            precondition(degree < Int(CLDPC_MAXIMUM_ROW_DEGREE), "LDPC row degree above the kernel's limit")
            blockDegree[block] = Int32(degree)
            let start = Int(blockEdgeStart[block])
            for offset in 0..<lifting {
                let row = first + offset
                precondition(Int(rowStart[row + 1] - rowStart[row]) == degree, "LDPC rows of one block differ in degree")
                for slot in 0..<degree {
                    edgeVariable[start + slot * lifting + offset] = rowEdges[Int(rowStart[row]) + slot]
                }
            }
            blockEdgeStart[block + 1] = Int32(start + degree * lifting)
        }
        graph = cldpc_graph(
            block_count: Int32(blocks), lifting: Int32(lifting), variables: Int32(variableCount),
            block_degree: blockDegree.baseAddress, block_edge_start: blockEdgeStart.baseAddress,
            edge_variable: edgeVariable.baseAddress)
    }

    deinit {
        blockDegree.deallocate()
        blockEdgeStart.deallocate()
        edgeVariable.deallocate()
    }
}
