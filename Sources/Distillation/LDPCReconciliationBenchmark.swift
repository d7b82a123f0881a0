import Dispatch
import QKDCore

/// Measures LDPC reconciliation over a seeded binary symmetric channel: efficiency, frame error
/// rate, round trips and throughput, for `qkd bench reconcile --method ldpc`.
public enum LDPCReconciliationBenchmark {
    /// The figures of one benchmark run.
    public struct Report: Sendable, Hashable {
        /// The key bits per frame.
        public let blockSize: Int
        /// The BSC crossover probability (also given to the reconciler as its estimate).
        public let qber: Double
        /// The number of frames.
        public let blocks: Int
        /// The code used, e.g. "rate 0.85, 800x139 = 111200 bits, seed 1".
        public let code: String
        /// Mean efficiency `f = disclosed / (n h(qber))` over the frames that succeeded.
        public let efficiency: Double
        /// Fraction of frames whose decoding still failed with the whole reveal budget spent.
        public let frameErrorRate: Double
        /// Frames that met the syndrome with a key different from Alice's (left for the
        /// verification hash to catch).
        public let undetectedErrorFrames: Int
        /// Mean round trips per frame.
        public let roundTrips: Double
        /// Mean belief-propagation iterations per frame (over all attempts).
        public let iterations: Double
        /// Key bits reconciled per second of wall time, in Mbit/s (all threads together).
        public let throughputMbps: Double
        /// Threads used.
        public let threads: Int
    }

    /// Runs `blocks` frames of `blockSize` bits through a BSC with crossover `qber`, on
    /// `threads` threads. Frame `i` draws Alice's key, the channel errors and the punctured
    /// values from `SeededGenerator(seed:stream:)` streams of `seed` and `i`, so a run
    /// reproduces bit for bit whatever the thread count. Throws `QKDError.invalidParameter` for
    /// a non-positive block size, block count or thread count, or an unsupported QBER.
    public static func run(blockSize: Int, qber: Double, blocks: Int, threads: Int = 1, seed: UInt64 = 1,
                           adaptation: LDPCRateAdaptation = LDPCRateAdaptation()) throws -> Report {
        guard blocks >= 1 else { throw QKDError(.invalidParameter, "LDPC benchmark block count \(blocks) is below 1") }
        guard threads >= 1 else { throw QKDError(.invalidParameter, "LDPC benchmark thread count \(threads) is below 1") }
        let reconciler = LDPCReconciler(adaptation: adaptation)
        // Builds the code before the clock starts and checks the parameters.
        let plan = try adaptation.plan(blockSize: blockSize, estimatedQBER: qber)
        let collector = FrameCollector(count: blocks)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for frame in stride(from: worker, to: blocks, by: threads) {
                collector.store(frame, reconcileFrame(frame, blockSize: blockSize, qber: qber, seed: seed, reconciler: reconciler))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let frames = try collector.frames()
        let succeeded = frames.filter(\.succeeded)
        let entropy = Double(blockSize) * QKDMath.binaryEntropy(qber)
        return Report(
            blockSize: blockSize, qber: qber, blocks: blocks, code: plan.code.description,
            efficiency: succeeded.isEmpty ? .nan : succeeded.reduce(0) { $0 + Double($1.disclosedBits) } / (Double(succeeded.count) * entropy),
            frameErrorRate: Double(blocks - succeeded.count) / Double(blocks),
            undetectedErrorFrames: succeeded.filter { !$0.correct }.count,
            roundTrips: Double(frames.reduce(0) { $0 + $1.roundTrips }) / Double(blocks),
            iterations: Double(frames.reduce(0) { $0 + $1.iterations }) / Double(blocks),
            throughputMbps: Double(blockSize) * Double(blocks) / seconds / 1e6,
            threads: threads)
    }

    private static func reconcileFrame(_ frame: Int, blockSize: Int, qber: Double, seed: UInt64, reconciler: LDPCReconciler) -> Swift.Result<(LDPCReconciliationOutcome, Bool), QKDError> {
        let frameSeed = seed &+ UInt64(frame) &* 0x9E37_79B9_7F4A_7C15
        var keyGenerator = SeededGenerator(seed: frameSeed, stream: "ldpc-benchmark-key")
        var channel = SeededGenerator(seed: frameSeed, stream: "ldpc-benchmark-channel")
        var punctured = SeededGenerator(seed: frameSeed, stream: "ldpc-benchmark-punctured")
        let alice = BitVector(randomCount: blockSize, using: &keyGenerator)
        var bob = alice
        for index in 0..<blockSize where channel.nextBernoulli(qber) { bob.flip(index) }
        do {
            let outcome = try reconciler.reconcile(alice: alice, bob: bob, estimatedQBER: qber, randomness: &punctured)
            return .success((outcome, outcome.correctedKey == alice))
        } catch let error as QKDError {
            return .failure(error)
        } catch {
            return .failure(QKDError(.protocolFailure, "LDPC benchmark frame \(frame): \(error)"))
        }
    }

    /// Per-frame results gathered from the worker threads.
    private final class FrameCollector: @unchecked Sendable {
        private let queue = DispatchQueue(label: "QKDKit.LDPCReconciliationBenchmark")
        private var results: [Swift.Result<(LDPCReconciliationOutcome, Bool), QKDError>?]

        init(count: Int) { results = Array(repeating: nil, count: count) }

        func store(_ index: Int, _ result: Swift.Result<(LDPCReconciliationOutcome, Bool), QKDError>) {
            queue.sync { results[index] = result }
        }

        func frames() throws -> [(succeeded: Bool, correct: Bool, disclosedBits: Int, roundTrips: Int, iterations: Int)] {
            try queue.sync {
                try results.map { result in
                    let (outcome, correct) = try result!.get()
                    return (outcome.succeeded, correct, outcome.disclosedBits, outcome.roundTrips, outcome.iterations)
                }
            }
        }
    }
}
