import CLDPC

/// Syndrome decoding of one LDPC code by layered sum-product belief propagation, in `Float`
/// log-likelihood ratios (the C kernel `cldpc_decode_syndrome` in target `CLDPC`: the rows of a
/// circulant block 16 at a time in AVX-512 lanes when the CPU has them, else one by one, with
/// identical results; posteriors updated after every row; Gallager's phi form of the check
/// update; stopping as soon as the hard decision meets the syndrome, or when the number of
/// unmet checks stops falling).
///
/// Holds its scratch buffers (posteriors, one message per edge, hard decisions), allocated once,
/// so decoding allocates nothing per iteration. Not thread-safe: use one decoder per thread.
final class LDPCDecoder {
    let code: LDPCCode
    private var posterior: [Float]
    private var checkMessage: [Float]
    /// The hard decisions (0/1 per symbol) of the last `decode` call.
    private(set) var hardDecision: [UInt8]

    /// Whether this CPU runs the kernel's AVX-512 path.
    static var usesAVX512: Bool { cldpc_uses_avx512() != 0 }

    init(code: LDPCCode) {
        self.code = code
        posterior = [Float](repeating: 0, count: code.variableCount)
        checkMessage = [Float](repeating: 0, count: code.edgeCount)
        hardDecision = [UInt8](repeating: 0, count: code.variableCount)
    }

    /// Decodes: returns whether the hard decision meets `syndrome`, and the iterations run. Gives
    /// up after `maximumIterations`, or once `stallIterations` iterations in a row (0: never)
    /// brought no new low in the number of unmet checks. With `resume`, starts from the check
    /// messages the previous call ended with (a warm start after a blind round revealed symbols)
    /// instead of from zero. `allowAVX512: false` forces the plain C path (for tests comparing
    /// the two).
    func decode(channelLLR: [Float], syndrome: [UInt8], maximumIterations: Int, stallIterations: Int, resume: Bool,
                allowAVX512: Bool = true) -> (satisfied: Bool, iterations: Int) {
        precondition(channelLLR.count == code.variableCount && syndrome.count == code.checkCount, "decoder input sizes do not match the code")
        var graph = code.blockLayout.graph
        let result = syndrome.withUnsafeBufferPointer { syndrome in
            channelLLR.withUnsafeBufferPointer { channel in
                posterior.withUnsafeMutableBufferPointer { posterior in
                    checkMessage.withUnsafeMutableBufferPointer { messages in
                        hardDecision.withUnsafeMutableBufferPointer { hard in
                            cldpc_decode_syndrome(
                                &graph, syndrome.baseAddress, channel.baseAddress, posterior.baseAddress, messages.baseAddress,
                                hard.baseAddress, Int32(maximumIterations), Int32(stallIterations), resume ? 1 : 0, allowAVX512 ? 1 : 0)
                        }
                    }
                }
            }
        }
        return (result > 0, Int(result.magnitude))
    }
}
