import QKDCore

/// Rate-adaptive LDPC reconciliation of one frame in process: runs `LDPCAlice` and `LDPCBob`
/// against each other over `LDPCMessage`s, exactly as they would run over a link.
public struct LDPCReconciler: Sendable {
    /// The rate-adaptation settings (code choice, efficiencies, decoder iterations).
    public var adaptation: LDPCRateAdaptation
    /// Where codes are built and kept.
    public let cache: LDPCCodeCache

    /// Creates a reconciler.
    public init(adaptation: LDPCRateAdaptation = LDPCRateAdaptation(), cache: LDPCCodeCache = .shared) {
        self.adaptation = adaptation
        self.cache = cache
    }

    /// Reconciles Bob's `bob` with Alice's `alice` at `estimatedQBER`, drawing Alice's punctured
    /// values from `randomness`. Throws `QKDError.invalidParameter` for keys of different
    /// lengths or a QBER outside `LDPCRateAdaptation.supportedQBER`.
    public func reconcile<G: RandomNumberGenerator>(alice: BitVector, bob: BitVector, estimatedQBER: Double, randomness: inout G) throws -> LDPCReconciliationOutcome {
        guard alice.count == bob.count else {
            throw QKDError(.invalidParameter, "LDPC keys differ in length: Alice \(alice.count), Bob \(bob.count)")
        }
        let plan = try adaptation.plan(blockSize: alice.count, estimatedQBER: estimatedQBER, cache: cache)
        var aliceSide = try LDPCAlice(key: alice, plan: plan, cache: cache, randomness: &randomness)
        var bobSide = LDPCBob(key: bob, maximumIterations: adaptation.maximumIterations, blindRoundIterations: adaptation.blindRoundIterations, stallIterations: adaptation.stallIterations, cache: cache)
        var toBob: LDPCMessage? = aliceSide.syndromeMessage
        while let message = toBob {
            let reply = try bobSide.receive(message)
            toBob = try aliceSide.receive(reply)
        }
        precondition(aliceSide.disclosedBits == bobSide.disclosedBits, "Alice and Bob count different disclosed bits")
        return LDPCReconciliationOutcome(
            plan: plan, succeeded: aliceSide.status == .accepted, correctedKey: bobSide.correctedKey,
            disclosedBits: aliceSide.disclosedBits, revealedBits: aliceSide.revealedBits,
            roundTrips: bobSide.roundTrips, iterations: bobSide.iterations)
    }

    /// Reconciles with Alice's punctured values from the system's cryptographic generator.
    public func reconcile(alice: BitVector, bob: BitVector, estimatedQBER: Double) throws -> LDPCReconciliationOutcome {
        var randomness = SystemRandomNumberGenerator()
        return try reconcile(alice: alice, bob: bob, estimatedQBER: estimatedQBER, randomness: &randomness)
    }
}
