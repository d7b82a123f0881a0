import Distillation
import Foundation
import QKDCore

/// The error-correction methods `qkd bench reconcile` can measure.
public enum ReconciliationMethod: String, CaseIterable, Codable, Sendable {
    /// Cascade with `CascadeParameters.tuned(forQBER:blockSize:)` (block reuse, batched searches).
    case cascade
    /// Rate-adaptive LDPC with blind rounds (`LDPCReconciler`, default `LDPCRateAdaptation`).
    case ldpc
}

/// Reconciles `blocks` random blocks of `blockSize` bits whose copies differ in independent
/// positions with probability `qber` (a binary symmetric channel), Alice's and Bob's state
/// machines exchanging their messages' contents in memory (`CascadeBob.reconcile(with:)`,
/// `LDPCReconciler`): the figures `qkd bench reconcile` reports.
///
/// Block `i` draws its key and errors from `SeededGenerator(seed: seed, stream:
/// "reconcile-block-i")` (LDPC also its punctured values), so the results do not depend on the
/// thread count. The wall-clock time covers the whole run (key and error generation included,
/// LDPC's code construction excluded). The CPU time is that of reconciliation alone, as
/// cascade-cpp's driver times its `reconcile()`: each block's thread CPU time from creating
/// Alice's and Bob's sides to Bob's last message, so `cpuMbps` is the throughput per busy core
/// without the simulated channel (drawing the keys and the errors). Failed blocks count in the
/// mean efficiency with everything they disclosed.
public struct ReconciliationBenchmark: Codable, Sendable {
    /// The method measured (`ReconciliationMethod.rawValue`).
    public let method: String
    /// Sifted bits per block `n`.
    public let blockSize: Int
    /// The channel's bit error rate, also the QBER estimate the method is started from.
    public let qber: Double
    /// Blocks reconciled.
    public let blocks: Int
    /// Threads used.
    public let threads: Int
    /// The generator seed.
    public let seed: UInt64
    /// Whether Cascade searched the lowest pass first (`CascadeParameters.searchesLowestPassFirst`:
    /// fewest disclosed bits, the in-process link's setting) rather than every pass's odd blocks
    /// at once (fewest round trips, the node link's setting; `ReconciliationSelector`). Always
    /// false for LDPC.
    public let lowestPassFirst: Bool
    /// With `lowestPassFirst`, how many odd blocks of a pass after the first Cascade searched at
    /// once (`CascadeParameters.concurrentSearchLimit`); nil otherwise.
    public let concurrentSearchLimit: Int?
    /// Whether Cascade ranked its second pass by error likelihood
    /// (`CascadeParameters.ranksSecondPassByErrorLikelihood`); always false for LDPC.
    public let ranksSecondPass: Bool
    /// Mean efficiency `f = disclosed / (n h(qber))` over the blocks (disclosed: every parity
    /// bit Alice sent; h: binary entropy).
    public let efficiency: Double
    /// Standard deviation of the per-block efficiency.
    public let efficiencyStandardDeviation: Double
    /// Mean parity bits disclosed per block.
    public let disclosedBits: Double
    /// Mean bit errors per block before reconciliation.
    public let errors: Double
    /// Fraction of blocks in which Bob's corrected key still differs from Alice's (before any
    /// verification hash).
    public let frameErrorRate: Double
    /// Mean request/response round trips per block.
    public let roundTrips: Double
    /// Wall-clock seconds of the whole run.
    public let seconds: Double
    /// Sifted megabits (10^6 bits) reconciled per wall-clock second.
    public let throughputMbps: Double
    /// Sifted megabits reconciled per CPU second spent reconciling (the thread CPU time of
    /// every block, both sides, from their creation to the last message; drawing the keys and
    /// errors excluded), i.e. per busy core.
    public let cpuMbps: Double

    /// Runs the benchmark; Cascade uses `CascadeParameters.tuned(forQBER:blockSize:)` with
    /// `searchesLowestPassFirst` set to `lowestPassFirst` and, when given,
    /// `concurrentSearchLimit` and `ranksSecondPassByErrorLikelihood`. Throws `QKDError.invalidParameter` if `blockSize <= 0`, `qber`
    /// is not in (0, 0.5), `blocks <= 0`, `threads <= 0` or `concurrentSearchLimit < 1`.
    public init(method: ReconciliationMethod, blockSize: Int, qber: Double, blocks: Int, threads: Int = 1, seed: UInt64 = 1,
                lowestPassFirst: Bool = true, concurrentSearchLimit: Int? = nil, ranksSecondPass: Bool? = nil) throws {
        guard blockSize > 0 else {
            throw QKDError(.invalidParameter, "block size \(blockSize) must be positive")
        }
        guard qber > 0 && qber < 0.5 else {
            throw QKDError(.invalidParameter, "QBER \(qber) is not in (0, 0.5)")
        }
        guard blocks > 0 else {
            throw QKDError(.invalidParameter, "block count \(blocks) must be positive")
        }
        guard threads > 0 else {
            throw QKDError(.invalidParameter, "thread count \(threads) must be positive")
        }
        var tuned = CascadeParameters.tuned(forQBER: qber, blockSize: blockSize)
        tuned.searchesLowestPassFirst = lowestPassFirst
        if let concurrentSearchLimit { tuned.concurrentSearchLimit = concurrentSearchLimit }
        if let ranksSecondPass { tuned.ranksSecondPassByErrorLikelihood = ranksSecondPass }
        try tuned.validate()
        let parameters = tuned
        if method == .ldpc {
            // Builds (and caches) the code before the clock starts; also checks the QBER is supported.
            _ = try LDPCRateAdaptation().plan(blockSize: blockSize, estimatedQBER: qber)
        }
        let workers = min(threads, blocks)
        let results = ResultSlots(count: blocks)
        let clock = ContinuousClock()
        let start = clock.now
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                var block = worker
                while block < blocks {
                    results.store(try Self.reconcileOne(method: method, blockSize: blockSize, qber: qber, seed: seed, cascade: parameters, block: block), at: block)
                    block += workers
                }
            } catch {
                results.fail(error)
            }
        }
        if let error = results.firstError { throw error }
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let entropyBits = Double(blockSize) * QKDMath.binaryEntropy(qber)
        let outcomes = results.values
        let efficiencies = outcomes.map { Double($0.disclosedBits) / entropyBits }
        let meanEfficiency = efficiencies.reduce(0, +) / Double(blocks)
        let variance = efficiencies.reduce(0) { $0 + ($1 - meanEfficiency) * ($1 - meanEfficiency) } / Double(max(1, blocks - 1))
        self.method = method.rawValue
        self.blockSize = blockSize
        self.qber = qber
        self.blocks = blocks
        self.threads = workers
        self.seed = seed
        self.lowestPassFirst = method == .cascade && lowestPassFirst
        self.concurrentSearchLimit = self.lowestPassFirst ? parameters.concurrentSearchLimit : nil
        self.ranksSecondPass = method == .cascade && parameters.ranksSecondPassByErrorLikelihood
        efficiency = meanEfficiency
        efficiencyStandardDeviation = variance.squareRoot()
        disclosedBits = Double(outcomes.reduce(0) { $0 + $1.disclosedBits }) / Double(blocks)
        errors = Double(outcomes.reduce(0) { $0 + $1.errors }) / Double(blocks)
        frameErrorRate = Double(outcomes.filter { !$0.corrected }.count) / Double(blocks)
        roundTrips = Double(outcomes.reduce(0) { $0 + $1.roundTrips }) / Double(blocks)
        self.seconds = seconds
        throughputMbps = Double(blockSize) * Double(blocks) / seconds / 1e6
        let cpuSeconds = outcomes.reduce(0) { $0 + $1.cpuSeconds }
        cpuMbps = cpuSeconds > 0 ? Double(blockSize) * Double(blocks) / cpuSeconds / 1e6 : .infinity
    }

    /// One line for people.
    public var text: String {
        func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        let isCascade = method == ReconciliationMethod.cascade.rawValue
        let searches = lowestPassFirst ? "lowest pass first, \(concurrentSearchLimit ?? 1) at a time" : "all passes at once"
        let order = isCascade ? " (\(searches), \(ranksSecondPass ? "ranked" : "fixed") second pass)" : ""
        return "\(method)\(order) n = \(blockSize), QBER \(fixed(qber * 100, 2)) %, \(blocks) blocks: f = \(fixed(efficiency, 4)) "
            + "(sd \(fixed(efficiencyStandardDeviation, 4))), frame error rate \(fixed(frameErrorRate, 5)), "
            + "\(fixed(roundTrips, 1)) round trips per block, \(fixed(throughputMbps, 2)) Mbit/s wall "
            + "(\(threads) threads), \(fixed(cpuMbps, 2)) Mbit/s per CPU second reconciling"
    }

    /// What one block's reconciliation gave.
    struct BlockOutcome: Sendable {
        var disclosedBits = 0
        var roundTrips = 0
        var errors = 0
        var corrected = false
        /// The thread CPU seconds spent reconciling the block.
        var cpuSeconds = 0.0
    }

    /// Draws block `block`'s keys and reconciles them (Cascade with `parameters`).
    static func reconcileOne(method: ReconciliationMethod, blockSize: Int, qber: Double, seed: UInt64, cascade parameters: CascadeParameters, block: Int) throws -> BlockOutcome {
        var generator = SeededGenerator(seed: seed, stream: "reconcile-block-\(block)")
        let aliceKey = BitVector(randomCount: blockSize, using: &generator)
        var bobKey = aliceKey
        var errors = 0
        var position = 0
        while position < blockSize {
            let gap = generator.nextGeometricGap(successProbability: qber)
            guard gap < UInt64(blockSize - position) else { break }
            position += Int(gap)
            bobKey.flip(position)
            errors += 1
            position += 1
        }
        let cpuStart = threadCPUSeconds()
        switch method {
        case .cascade:
            var alice = try CascadeAlice(referenceKey: aliceKey, estimatedQBER: qber, parameters: parameters)
            var bob = try CascadeBob(noisyKey: bobKey, estimatedQBER: qber, parameters: parameters)
            try bob.reconcile(with: &alice)
            let cpuSeconds = threadCPUSeconds() - cpuStart
            return BlockOutcome(
                disclosedBits: alice.disclosedBits, roundTrips: bob.roundTrips, errors: errors,
                corrected: bob.correctedKey == aliceKey, cpuSeconds: cpuSeconds)
        case .ldpc:
            let outcome = try LDPCReconciler().reconcile(alice: aliceKey, bob: bobKey, estimatedQBER: qber, randomness: &generator)
            let cpuSeconds = threadCPUSeconds() - cpuStart
            return BlockOutcome(
                disclosedBits: outcome.disclosedBits, roundTrips: outcome.roundTrips, errors: errors,
                corrected: outcome.succeeded && outcome.correctedKey == aliceKey, cpuSeconds: cpuSeconds)
        }
    }

    /// The calling thread's CPU seconds so far (user plus system).
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// Per-block results written by several threads, each to its own slots.
private final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<ReconciliationBenchmark.BlockOutcome>
    private let lock = NSLock()
    private var error: (any Error)?

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: .init())
    }

    deinit { slots.deallocate() }

    /// Stores block `index`'s outcome; distinct indices may be stored concurrently.
    func store(_ outcome: ReconciliationBenchmark.BlockOutcome, at index: Int) {
        slots[index] = outcome
    }

    /// Records a worker's error (the first one is kept).
    func fail(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }

    /// The first error a worker recorded; call after every worker has finished.
    var firstError: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }

    /// All outcomes; call after every store has finished.
    var values: [ReconciliationBenchmark.BlockOutcome] { Array(slots) }
}
