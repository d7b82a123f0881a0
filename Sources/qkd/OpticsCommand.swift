import ArgumentParser
import Dispatch
import Foundation
import QKDCore
import QKDNode

/// `qkd optics`: the emulated optics as its own process, serving each node only its own stream.
struct OpticsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optics",
        abstract: "Emulate the link and serve Alice's and Bob's device streams on two local sockets.",
        discussion: """
            Each node asks for every frame, so emulation keeps pace with the slower node and \
            pauses while a node is disconnected; after the last frame the process waits for both \
            nodes to read the end of the run. SIGINT or SIGTERM stops it at once. --record writes both streams as \
            time-tag files (alice.qkdtags, bob.qkdtags) that `qkd node --time-tags` replays.

            Example:
              qkd optics --config link.json --alice 127.0.0.1:7001 --bob 127.0.0.1:7002 --duration 1m
            """
    )

    @Option(help: ArgumentHelp("Configuration file (JSON; may start from a preset).", valueName: "file"))
    var config: String?

    @Option(help: "Preset, when no configuration file is given.")
    var preset: String = "paper-120km"

    @Option(help: ArgumentHelp("Alice's socket (port 0: any free port).", valueName: "host:port"))
    var alice: String = "127.0.0.1:0"

    @Option(help: ArgumentHelp("Bob's socket (port 0: any free port).", valueName: "host:port"))
    var bob: String = "127.0.0.1:0"

    @Option(help: "Link time to emulate, e.g. 30s, 10m, 6h.")
    var duration: String = "1m"

    @Option(help: "Link time per device frame, e.g. 1s.")
    var frame: String = "1s"

    @Option(help: "Seed of the emulation.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Folder to record both streams in.", valueName: "dir"))
    var record: String?

    func run() throws {
        let configuration = try config.map(PresetCatalog.configuration(file:)) ?? PresetCatalog.configuration(named: preset)
        let server = try OpticsServer(
            configuration: configuration, seed: seed, durationSeconds: DurationParser.seconds(duration),
            frameSeconds: DurationParser.seconds(frame), aliceAddress: alice, bobAddress: bob, recordDirectory: record)
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { server.stop(reason: name) }
            source.resume()
            sources.append(source)
        }
        FileHandle.standardOutput.write(Data("optics: alice port \(server.ports.alice), bob port \(server.ports.bob)\n".utf8))
        let served = try server.run { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        sources.forEach { $0.cancel() }
        print("optics: served \(served.pulses) pulses, \(served.detections) detections")
    }
}
