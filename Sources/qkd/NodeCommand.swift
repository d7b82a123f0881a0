import ArgumentParser
import Dispatch
import Foundation
import LinkProtocol
import QKDCore
import QKDNode

/// `qkd node`: one end of the link as a long-running process.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run Alice's or Bob's node: read the device, distil with the peer over TCP, store keys.",
        discussion: """
            Alice listens on --peer, Bob connects to it. Every classical frame is authenticated \
            (Wegman-Carter with one-time-pad tags from the pre-shared --bootstrap-key file, then \
            from a reserved slice of each block). Keys are committed on both sides or neither; \
            SIGINT or SIGTERM stops the node, and a restarted node reconciles with its peer.

            Examples:
              qkd optics --config link.json --alice 127.0.0.1:7001 --bob 127.0.0.1:7002 --duration 1m
              qkd node --role alice --config link.json --peer 127.0.0.1:7000 --optics 127.0.0.1:7001 --store alice.sqlite --bootstrap-key boot.key
              qkd node --role bob --config link.json --peer 127.0.0.1:7000 --optics 127.0.0.1:7002 --store bob.sqlite --bootstrap-key boot.key
            """
    )

    @Option(help: "alice or bob.")
    var role: String

    @Option(help: ArgumentHelp("Configuration file (JSON; may start from a preset).", valueName: "file"))
    var config: String?

    @Option(help: "Preset, when no configuration file is given.")
    var preset: String = "paper-120km"

    @Option(help: ArgumentHelp("Alice: address to listen on; Bob: Alice's address.", valueName: "host:port"))
    var peer: String

    @Option(help: ArgumentHelp("The optics process's socket for this side.", valueName: "host:port"))
    var optics: String?

    @Option(help: ArgumentHelp("A recorded time-tag file to replay instead of --optics.", valueName: "file"))
    var timeTags: String?

    @Option(help: ArgumentHelp("This node's SQLite key store.", valueName: "file"))
    var store: String

    @Option(help: ArgumentHelp("The pre-shared bootstrap key (raw bytes, at least 24).", valueName: "file"))
    var bootstrapKey: String

    @Option(help: "Secret bits of each block reserved for authentication (multiple of 128).")
    var reserveBits: Int = NodeSettings.defaultAuthenticationReserveBits

    @Option(help: "Seconds to keep trying to reach the peer and the optics process.")
    var patience: Double = 10

    @Option(help: "Seconds without a frame from the peer, while blocks are in flight, after which the session restarts (a lost frame); above the peer's longest computation.")
    var peerTimeout: Double = NodeSettings.defaultPeerSilenceLimit

    @Option(help: "Most blocks distilled at once (pipelining; the pipeline deepens only as far as the peer's round-trip time needs).")
    var blocksInFlight: Int = 16

    @Option(help: ArgumentHelp(ReconciliationOption.help + " Both nodes must agree.", valueName: "method"))
    var reconciliation: String?

    @Option(help: ArgumentHelp("Bob: write the report of every finished block to this file (JSON) at the end.", valueName: "file"))
    var reports: String?

    func run() throws {
        let direction: LinkDirection
        switch role {
        case "alice": direction = .aliceToBob
        case "bob": direction = .bobToAlice
        default: throw QKDError(.invalidParameter, "--role must be alice or bob, got \"\(role)\"")
        }
        let configuration = try ReconciliationOption.apply(
            reconciliation, to: config.map(PresetCatalog.configuration(file:)) ?? PresetCatalog.configuration(named: preset))
        let settings = try NodeSettings(
            role: direction, configuration: configuration, peerAddress: peer, storePath: store, bootstrapKeyPath: bootstrapKey,
            authenticationReserveBits: reserveBits, maximumBlocksInFlight: blocksInFlight, patience: patience,
            peerSilenceLimit: peerTimeout)
        let device: QuantumDevice
        switch (optics, timeTags) {
        case (let address?, nil): device = try OpticsDeviceClient(address: address, patience: patience)
        case (nil, let path?): device = try RecordedTimeTagFile(path: path)
        default: throw QKDError(.invalidParameter, "give exactly one of --optics and --time-tags")
        }
        let runtime = try NodeRuntime(settings: settings, device: device) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if direction == .aliceToBob {
            let port = try runtime.listen()
            FileHandle.standardOutput.write(Data("alice: listening on port \(port)\n".utf8))
        }
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { runtime.requestShutdown(reason: name) }
            source.resume()
            sources.append(source)
        }
        let outcome = try runtime.run()
        if let reports {
            do {
                try JSONEncoder().encode(outcome.blockReports).write(to: URL(fileURLWithPath: reports))
            } catch {
                throw QKDError(.storage, "cannot write block reports to \(reports)")
            }
        }
        print("\(role): \(outcome.blocksCommitted) blocks committed, \(outcome.keysInStore) keys in \(store), \(outcome.sessionsRestarted) sessions restarted")
        sources.forEach { $0.cancel() }
    }
}
