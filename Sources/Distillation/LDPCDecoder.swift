import CLDPC

/// Syndrome decoding of one LDPC code by layered sum-product belief propagation, in `Float`
/// log-likelihood ratios (the C kernel `cldpc_decode_syndrome` in target `CLDPC`: rows in order,
/// posteriors updated after every row, Gallager's phi form of the check update, stopping as soon
/// as the hard decision meets the syndrome).
///
/// Holds its scratch buffers (posteriors, one message per edge, hard decisions), allocated once,
/// so decoding allocates nothing per iteration. Not thread-safe: use one decoder per thread.
final class LDPCDecoder {
    let code: LDPCCode
    private var posterior: [Float]
    private var checkMessage: [Float]
    /// The hard decisions (0/1 per symbol) of the last `decode` call.
    private(set) var hardDecision: [UInt8]

    init(code: LDPCCode) {
        precondition(code.maximumRowDegree <= Int(CLDPC_MAXIMUM_ROW_DEGREE), "LDPC row degree above the kernel's limit")
        self.code = code
        posterior = [Float](repeating: 0, count: code.variableCount)
        checkMessage = [Float](repeating: 0, count: code.edgeCount)
        hardDecision = [UInt8](repeating: 0, count: code.variableCount)
    }

    /// Decodes: returns whether the hard decision meets `syndrome`, and the iterations run. With
    /// `resume`, starts from the check messages the previous call ended with (a warm start after
    /// a blind round revealed symbols) instead of from zero.
    func decode(channelLLR: [Float], syndrome: [UInt8], maximumIterations: Int, resume: Bool) -> (satisfied: Bool, iterations: Int) {
        precondition(channelLLR.count == code.variableCount && syndrome.count == code.checkCount, "decoder input sizes do not match the code")
        let result = code.rowStart.withUnsafeBufferPointer { rowStart in
            code.edgeVariable.withUnsafeBufferPointer { edgeVariable in
                syndrome.withUnsafeBufferPointer { syndrome in
                    channelLLR.withUnsafeBufferPointer { channel in
                        posterior.withUnsafeMutableBufferPointer { posterior in
                            checkMessage.withUnsafeMutableBufferPointer { messages in
                                hardDecision.withUnsafeMutableBufferPointer { hard in
                                    cldpc_decode_syndrome(
                                        rowStart.baseAddress, edgeVariable.baseAddress, Int32(code.checkCount),
                                        syndrome.baseAddress, channel.baseAddress, Int32(code.variableCount),
                                        posterior.baseAddress, messages.baseAddress, hard.baseAddress, Int32(maximumIterations), resume ? 1 : 0)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (result > 0, Int(result.magnitude))
    }
}
