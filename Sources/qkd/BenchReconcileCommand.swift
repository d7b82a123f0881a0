import ArgumentParser
import Foundation
import QKDCore
import QKDNode

/// `qkd bench reconcile`: efficiency, frame error rate, round trips and speed of error correction.
struct BenchReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Reconcile K random blocks of N bits with QBER Q and report f, frame error rate, round trips and Mbit/s.",
        discussion: """
            Each block is a random key and a copy with independent bit errors of probability Q \
            (block i drawn from the seed and i alone, so results do not depend on --threads); \
            Alice's and Bob's state machines exchange their messages in memory. The efficiency \
            is f = disclosed / (N h(Q)) averaged over blocks; the frame error rate counts blocks \
            still wrong after reconciliation, before verification. Build with -c release for \
            meaningful speed figures.

            Example:
              .build/release/qkd bench reconcile --method cascade --block-size 16384 --qber 0.02 --blocks 1000 --threads 1 --json
            """
    )

    @Option(help: "Method: \(ReconciliationMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: String = ReconciliationMethod.cascade.rawValue

    @Option(name: .customLong("block-size"), help: ArgumentHelp("Sifted bits per block N.", valueName: "N"))
    var blockSize: Int

    @Option(help: ArgumentHelp("Bit error rate Q, in (0, 0.5).", valueName: "Q"))
    var qber: Double

    @Option(help: ArgumentHelp("Blocks K.", valueName: "K"))
    var blocks: Int

    @Option(help: "Threads.")
    var threads: Int = 1

    @Option(help: "Generator seed.")
    var seed: UInt64 = 1

    @Option(name: .customLong("search-order"), help: ArgumentHelp(
        "Cascade's binary searches: lowest-pass-first (fewest disclosed bits; what an in-process link uses) or all-at-once (every pass's odd blocks together, fewest round trips; what the node link uses, since each round trip costs authentication key).",
        valueName: "order"))
    var searchOrder: String = "lowest-pass-first"

    @Option(name: .customLong("search-limit"), help: ArgumentHelp(
        "Cascade with lowest-pass-first: how many odd blocks of a pass after the first are searched at once (default 1, the tuned value: fewest disclosed bits).",
        valueName: "L"))
    var searchLimit: Int?

    @Option(name: .customLong("second-pass-order"), help: ArgumentHelp(
        "Cascade's second pass: ranked (each block's bits ordered by how likely they still hold an error once the first pass is done, searches split by expected errors: fewer disclosed bits, more CPU) or fixed (the pass's permutation as drawn, searches split in halves). Default: the tuned choice, ranked from QBER 6 %.",
        valueName: "order"))
    var secondPassOrder: String?

    @Flag(help: "Print one JSON object (method, blockSize, qber, blocks, threads, seed, lowestPassFirst, concurrentSearchLimit, ranksSecondPass, efficiency, efficiencyStandardDeviation, disclosedBits, errors, frameErrorRate, roundTrips, seconds, throughputMbps, cpuMbps).")
    var json = false

    func run() throws {
        guard let chosen = ReconciliationMethod(rawValue: method) else {
            throw QKDError(.invalidParameter, "--method must be one of \(ReconciliationMethod.allCases.map(\.rawValue).joined(separator: ", ")), got \(method)")
        }
        let orders = ["lowest-pass-first": true, "all-at-once": false]
        guard let lowestPassFirst = orders[searchOrder] else {
            throw QKDError(.invalidParameter, "--search-order must be lowest-pass-first or all-at-once, got \(searchOrder)")
        }
        let secondPassOrders = ["ranked": true, "fixed": false]
        if let secondPassOrder, secondPassOrders[secondPassOrder] == nil {
            throw QKDError(.invalidParameter, "--second-pass-order must be ranked or fixed, got \(secondPassOrder)")
        }
        let ranksSecondPass = secondPassOrder.flatMap { secondPassOrders[$0] }
        if secondPassOrder != nil && chosen != .cascade {
            throw QKDError(.invalidParameter, "--second-pass-order applies only to --method cascade")
        }
        if let searchLimit, searchLimit < 1 {
            throw QKDError(.invalidParameter, "--search-limit must be at least 1, got \(searchLimit)")
        }
        if searchLimit != nil && (chosen != .cascade || !lowestPassFirst) {
            throw QKDError(.invalidParameter, "--search-limit applies only to --method cascade with --search-order lowest-pass-first")
        }
        let result = try ReconciliationBenchmark(
            method: chosen, blockSize: blockSize, qber: qber, blocks: blocks, threads: threads, seed: seed,
            lowestPassFirst: lowestPassFirst, concurrentSearchLimit: searchLimit, ranksSecondPass: ranksSecondPass)
        if json { try printJSON(result) } else { print(result.text) }
    }
}
