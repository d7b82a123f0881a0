import ArgumentParser

/// `qkd extract`: randomness extractors run on files, to check them against other implementations.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Run a randomness extractor on files.",
        subcommands: [ExtractToeplitzCommand.self]
    )
}
