import ArgumentParser
import Foundation
import KeyManagement
import KeyManagementPostgres
import KeyManagementServer
import QKDCore

/// `qkd kme serve --config FILE`: the ETSI GS QKD 014 server over mutual TLS.
struct KMEServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve keys over ETSI GS QKD 014 (HTTPS, mutual TLS) until interrupted.",
        discussion: """
            Prints "listening on https://HOST:PORT" once it accepts connections; SIGINT or SIGTERM \
            stops it. The configuration is the JSON file that `qkd pki init` writes.

            A configuration with a "relay" section (written by `qkd pki init DIR --network FILE`) makes \
            the KME a node of a network: it relays keys hop by hop to and from the KMEs of nodes it \
            shares no link with, and serves hybrid QKD + ML-KEM-768 keys on request (README, "Relay \
            across trusted nodes, hybrid keys").

            Examples:
              qkd pki init pki && qkd demo --key-dir keys
              qkd kme serve --config pki/kme.json --store keys/alice.sqlite
              qkd pki init corridor --network examples/networks/corridor-240km.json --port 9443
              qkd kme serve --config corridor/kme-middle.json
            """
    )

    @Option(help: ArgumentHelp("KME configuration file (JSON).", valueName: "file"))
    var config: String

    @Option(help: ArgumentHelp("Key store (SQLite file or postgres:// URL), overriding the configuration's.", valueName: "store"))
    var store: String?

    @Option(help: ArgumentHelp("TCP port, overriding the configuration's (0: any free port).", valueName: "port"))
    var port: Int?

    func run() throws {
        var configuration = try KMEConfiguration.load(file: config)
        if let store { configuration.storePath = store }
        if let port {
            guard (0...65535).contains(port) else { throw QKDError(.invalidParameter, "--port \(port) is not a TCP port") }
            configuration.port = port
        }
        let server = KMEServer(entity: try KeyManagementEntity(configuration: configuration, store: try openStore(configuration.storePath)))
        let host = configuration.host
        try AsyncBridge.run {
            try await server.run { port in
                FileHandle.standardOutput.write(Data("listening on https://\(host):\(port)\n".utf8))
            }
        }
    }

    /// The SQLite store at `location`, or the PostgreSQL store if it is a `postgres://` URL (its
    /// tables created if missing).
    private func openStore(_ location: String) throws -> any KeyDeliveryStore {
        guard location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") else {
            return try SQLiteKeyDeliveryStore(path: location)
        }
        let store = try PostgresKeyDeliveryStore(url: location)
        try AsyncBridge.run { try await store.prepare() }
        return store
    }
}
