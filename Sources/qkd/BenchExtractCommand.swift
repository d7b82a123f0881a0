import ArgumentParser
import Distillation
import Foundation
import QKDCore
import QKDNode

/// `qkd bench extract`: the time and memory of one Toeplitz hash.
struct BenchExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Time the Toeplitz hash of a random N-bit block to M bits.",
        discussion: """
            Generates a random input and seed (fixed generator seed), then times the hash alone \
            (wall clock, fastest of the repetitions). Peak memory is the process's peak resident \
            size (getrusage), input and seed included. Build with -c release for meaningful figures.

            Examples:
              swift build -c release
              .build/release/qkd bench extract --input-length 100000000 --output-length 50000000 --threads 1 --json
            """
    )

    @Option(name: .customLong("input-length"), help: ArgumentHelp("Input bits N.", valueName: "N"))
    var inputLength: Int

    @Option(name: .customLong("output-length"), help: ArgumentHelp("Output bits M, at most N.", valueName: "M"))
    var outputLength: Int

    @Option(help: "Threads (1 for single-thread figures).")
    var threads: Int = 2

    @Option(help: "Repetitions; the fastest is reported.")
    var repetitions: Int = 1

    @Option(help: "Algorithm: \(ToeplitzHash.Algorithm.allCases.map(\.rawValue).joined(separator: ", ")) (all exact).")
    var algorithm: String = ToeplitzHash.Algorithm.automatic.rawValue

    @Flag(help: "Also hash once with Karatsuba (untimed) and fail if the hashes differ.")
    var check = false

    @Flag(help: "Print one JSON object (inputLength, outputLength, threads, algorithm, seconds, inputMbps, peakMemoryBytes, peakBytesPerInputBit, repetitions; matchesKaratsuba with --check).")
    var json = false

    func run() throws {
        guard let chosen = ToeplitzHash.Algorithm(rawValue: algorithm) else {
            throw QKDError(.invalidParameter, "--algorithm must be one of \(ToeplitzHash.Algorithm.allCases.map(\.rawValue).joined(separator: ", ")), got \(algorithm)")
        }
        let result = try ExtractionBenchmark(
            inputLength: inputLength, outputLength: outputLength, threads: threads, repetitions: repetitions,
            algorithm: chosen, checkAgainstKaratsuba: check)
        if json { try printJSON(result) } else { print(result.text) }
    }
}
