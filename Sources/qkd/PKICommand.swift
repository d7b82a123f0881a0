import ArgumentParser

/// `qkd pki`: development certificates for the KME and its SAEs.
struct PKICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Development certificates for the KME and its SAEs.",
        subcommands: [PKIInitCommand.self]
    )
}
