import ArgumentParser

/// `qkd kme`: the Key Management Entity.
struct KMECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kme",
        abstract: "Key Management Entity: serve the link's keys over ETSI GS QKD 014.",
        subcommands: [KMEServeCommand.self]
    )
}
