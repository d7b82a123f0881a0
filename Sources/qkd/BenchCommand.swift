import ArgumentParser

/// `qkd bench`: performance measurements (figures in BENCHMARKS.md come from here).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of a processing step.",
        subcommands: [BenchExtractCommand.self, BenchReconcileCommand.self]
    )
}
