import ArgumentParser

/// `qkd network`: networks of QKD links with trusted-node key relay.
struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Networks of QKD links joined by trusted nodes that relay keys.",
        subcommands: [NetworkRunCommand.self]
    )
}
