import Distillation
import QKDCore

/// Alice's and Bob's copies of a few random blocks, Bob's with independent bit errors of
/// probability `qber` (a binary symmetric channel, drawn as in `ReconciliationBenchmark`), handed
/// out in turn so that successive iterations see different error patterns.
final class BlockPairs {
    /// One block: Alice's key and Bob's noisy copy.
    struct Pair {
        let alice: BitVector
        let bob: BitVector
    }

    private let pairs: [Pair]
    private var nextIndex = 0

    /// Draws `count` pairs of `blockSize` bits, pair `i` from stream `benchmark-block-i` of seed 1.
    init(blockSize: Int, qber: Double, count: Int) {
        pairs = (0..<count).map { index in
            var generator = SeededGenerator(seed: 1, stream: "benchmark-block-\(index)")
            let alice = BitVector(randomCount: blockSize, using: &generator)
            var bob = alice
            var position = 0
            while true {
                position += Int(min(generator.nextGeometricGap(successProbability: qber), UInt64(blockSize)))
                guard position < blockSize else { break }
                bob.flip(position)
                position += 1
            }
            return Pair(alice: alice, bob: bob)
        }
    }

    /// The next pair, cycling.
    func next() -> Pair {
        defer { nextIndex = (nextIndex + 1) % pairs.count }
        return pairs[nextIndex]
    }

    /// Reconciles one pair with Cascade (`CascadeParameters.tuned(forQBER:blockSize:)`, with
    /// `searchesLowestPassFirst` as given), Alice's and Bob's state machines exchanging their
    /// requests and answers in memory as `ReconciliationBenchmark` does
    /// (`CascadeBob.reconcile(with:)`), or `viaMessages` (a `CascadeMessage` value per step, as
    /// the node's endpoints exchange them before encoding); returns Bob's corrected key.
    ///
    /// Each message is let go before the next step (`take`, `consume`), so that Bob's query
    /// buffer and Alice's parity words are reused rather than copied every round.
    static func reconcileWithCascade(_ pair: Pair, qber: Double, searchesLowestPassFirst: Bool, viaMessages: Bool = false) throws -> BitVector {
        var parameters = CascadeParameters.tuned(forQBER: qber, blockSize: pair.alice.count)
        parameters.searchesLowestPassFirst = searchesLowestPassFirst
        var alice = try CascadeAlice(referenceKey: pair.alice, estimatedQBER: qber, parameters: parameters)
        var bob = try CascadeBob(noisyKey: pair.bob, estimatedQBER: qber, parameters: parameters)
        guard viaMessages else {
            try bob.reconcile(with: &alice)
            return bob.correctedKey
        }
        var request: CascadeMessage? = try bob.start()
        while let message = request.take() {
            let response = try alice.respond(to: consume message)
            request = try bob.receive(consume response)
        }
        return bob.correctedKey
    }
}
