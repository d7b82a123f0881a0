import Distillation
import QKDCore

/// The outcome of reconciling one simulated block with Cascade.
struct CascadeRun {
    /// Alice's key.
    let aliceKey: BitVector
    /// Bob's key after Cascade.
    let correctedKey: BitVector
    /// The number of errors Bob's key started with.
    let initialErrorCount: Int
    /// Parity bits Bob counted.
    let bobDisclosedBits: Int
    /// Parity bits Alice counted.
    let aliceDisclosedBits: Int
    /// Parity bits carried by all responses (0 when run in process, without messages).
    let parityBitsInResponses: Int
    /// Completed request/response exchanges.
    let roundTrips: Int

    /// Whether Bob ended with Alice's key.
    var isCorrected: Bool { correctedKey == aliceKey }

    /// Disclosed bits over the Shannon limit `n h(qber)`.
    func efficiency(qber: Double) -> Double {
        Double(bobDisclosedBits) / (Double(aliceKey.count) * QKDMath.binaryEntropy(qber))
    }

    /// A random key of `length` bits and a copy with independent bit flips of probability
    /// `qber`, drawn in that order from `generator`.
    static func keyPair(length: Int, qber: Double, using generator: inout SeededGenerator) -> (key: BitVector, noisy: BitVector) {
        let key = BitVector(randomCount: length, using: &generator)
        var noisy = key
        for index in 0..<length where generator.nextBernoulli(qber) { noisy.flip(index) }
        return (key, noisy)
    }

    /// Draws a random key and a copy with independent bit flips of probability `qber`, then
    /// runs Alice and Bob against each other with a plain loop of messages, or `inProcess`
    /// through `CascadeBob.reconcile(with:)` (Bob estimates the QBER exactly).
    static func simulate(
        length: Int, qber: Double, seed: UInt64, parameters: CascadeParameters? = nil, inProcess: Bool = false
    ) throws -> CascadeRun {
        var generator = SeededGenerator(seed: seed, stream: "cascade-test-keys")
        let (aliceKey, noisyKey) = keyPair(length: length, qber: qber, using: &generator)
        let parameters = parameters ?? CascadeParameters(permutationSeed: seed &* 0x9E37_79B9_7F4A_7C15)
        var alice = try CascadeAlice(referenceKey: aliceKey, estimatedQBER: qber, parameters: parameters)
        var bob = try CascadeBob(noisyKey: noisyKey, estimatedQBER: qber, parameters: parameters)
        var parityBitsInResponses = 0
        if inProcess {
            try bob.reconcile(with: &alice)
        } else {
            var request: CascadeMessage? = try bob.start()
            while let message = request {
                let response = try alice.respond(to: message)
                if case .parityResponse(let parities) = response { parityBitsInResponses += parities.count }
                request = try bob.receive(response)
            }
        }
        return CascadeRun(
            aliceKey: aliceKey,
            correctedKey: bob.correctedKey,
            initialErrorCount: aliceKey.hammingDistance(to: noisyKey),
            bobDisclosedBits: bob.disclosedBits,
            aliceDisclosedBits: alice.disclosedBits,
            parityBitsInResponses: parityBitsInResponses,
            roundTrips: bob.roundTrips)
    }
}
