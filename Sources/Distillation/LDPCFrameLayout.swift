import QKDCore

/// Where the key bits and the adapting symbols of an `LDPCFramePlan` sit in the code word.
///
/// The adapting symbols are the `p₀` punctured ones, the first `p₀` symbols of the code's
/// untainted puncturing order (so the punctured set is always untainted), then `d − p₀` shortened
/// ones drawn from all other positions in an order fixed by the code seed. Drawing the shortened
/// symbols at random keeps the degree distribution of what remains close to the mother code's;
/// taking them from the puncturing order too (its lowest-degree symbols, as we did before)
/// strips the code of its degree-2 symbols and cost about 0.03 in efficiency at QBER 2 % (see
/// BENCHMARKS.md). The key bits fill the remaining positions in increasing order.
///
/// Reveal order of the blind rounds: the `p₀` punctured positions, last first, then every key
/// position in an order drawn from the code seed. The order is fixed before any data is seen, so
/// what a reveal discloses is exactly the revealed values.
///
/// Disclosed bits (Elkouss et al. 2010, the efficiency of their Eq. (3) with
/// `R_eff = (R₀ − σ)/(1 − π − σ)`): the syndrome has `M` bits, but `p` of them are spent on the
/// punctured symbols, which are fresh uniform secret bits independent of the key. Because the
/// punctured columns of `H` are linearly independent (every punctured symbol has checks that
/// touch no other punctured symbol), `H_p x_p` is uniform on a `p`-dimensional space and the
/// syndrome tells at most `M − p` bits about the key (the shortened symbols are public constants
/// and change nothing). Revealing a punctured value or a key bit discloses one more bit. So
/// `disclosed = M − p₀ + revealed`, counted by `LDPCAlice` and `LDPCBob`.
struct LDPCFrameLayout {
    /// The code word positions of the key bits, ascending.
    let keyPositions: [Int32]
    /// The code word positions of the adapting symbols: the punctured ones in puncturing order,
    /// then the shortened ones.
    let adaptingPositions: [Int32]
    /// The code word positions the blind rounds reveal, in order (`maximumRevealCount` of them).
    let revealOrder: [Int32]

    init(code: LDPCCode, plan: LDPCFramePlan) throws {
        guard plan.codeLength == code.variableCount else {
            throw QKDError(.invalidParameter, "LDPC plan code length \(plan.codeLength) does not match the code (\(code.variableCount))")
        }
        let puncturable = min(plan.adaptingCount, code.puncturingOrder.count)
        guard plan.initialPuncturedCount <= puncturable else {
            throw QKDError(.invalidParameter, "LDPC punctured count \(plan.initialPuncturedCount) exceeds the \(puncturable) symbols this code can puncture untainted")
        }
        var isAdapting = [Bool](repeating: false, count: code.variableCount)
        var adapting = Array(code.puncturingOrder.prefix(plan.initialPuncturedCount))
        for position in adapting { isAdapting[Int(position)] = true }
        if adapting.count < plan.adaptingCount {
            var generator = SeededGenerator(seed: code.identifier.seed, stream: "ldpc-shortened-positions")
            var remaining = (0..<Int32(code.variableCount)).filter { !isAdapting[Int($0)] }
            for index in 0..<(plan.adaptingCount - adapting.count) {
                let pick = index + Int(generator.next() % UInt64(remaining.count - index))
                remaining.swapAt(index, pick)
                adapting.append(remaining[index])
                isAdapting[Int(remaining[index])] = true
            }
        }
        adaptingPositions = adapting
        let keys = (0..<Int32(code.variableCount)).filter { !isAdapting[Int($0)] }
        keyPositions = keys
        var order = Array(adapting[0..<plan.initialPuncturedCount].reversed())
        let keyReveals = plan.maximumRevealCount - order.count
        if keyReveals > 0 {
            var generator = SeededGenerator(seed: code.identifier.seed, stream: "ldpc-key-reveal-order")
            var shuffled = keys
            for index in 0..<keyReveals {
                let pick = index + Int(generator.next() % UInt64(shuffled.count - index))
                shuffled.swapAt(index, pick)
            }
            order += shuffled[0..<keyReveals]
        } else {
            order.removeLast(-keyReveals)
        }
        revealOrder = order
    }
}
