import ArgumentParser
import Foundation
import QKDCore
import QKDNode

/// `qkd demo`: the whole link in one process, end to end.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the emulated link end to end and print a summary.",
        discussion: """
            Emulates the optics event by event, sifts, estimates the QBER, reconciles with Cascade \
            (or LDPC, see --reconciliation) over an in-memory message channel, verifies with a universal hash, computes the \
            finite-key secret length and privacy-amplifies with Toeplitz hashing. Alice's and \
            Bob's keys are written to two SQLite key stores (replacing those of an earlier demo \
            run in the same folder). The same seed gives the same output, bit for bit.

            --network runs the same link as three processes of this executable on loopback \
            (`qkd optics`, and `qkd node` for Alice and Bob over authenticated TCP, with a fresh \
            bootstrap key), waits for them and summarises Bob's blocks; the node logs stay in the \
            key folder. Only the optics follow the seed there.

            Examples:
              qkd demo
              qkd demo --duration 10m --seed 42 --json
              qkd demo --config my-link.json --distance 100
              qkd demo --network --duration 2m     # optics, Alice and Bob as three processes on loopback
              qkd demo --reconciliation ldpc       # rate-adaptive LDPC instead of Cascade
              qkd demo --duration 10m --serve      # then serve the keys over ETSI GS QKD 014
            """
    )

    @Option(help: "Preset to run (shipped: \(PresetCatalog.names.joined(separator: ", "))).")
    var preset: String = "paper-120km"

    @Option(help: ArgumentHelp("Configuration file (JSON; may start from a preset with \"preset\": NAME).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Fibre length, overriding the preset.", valueName: "km"))
    var distance: Double?

    @Option(help: "Simulated link time, e.g. 90s, 10m, 6h, 1h30m.")
    var duration: String = "6h"

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Folder for the two key stores.", valueName: "dir"))
    var keyDir: String = "qkd-demo-keys"

    @Option(help: ArgumentHelp("Also write every block's counts and leakage, in the input format of `qkd keyrate`.", valueName: "file"))
    var blocksOut: String?

    @Option(help: ArgumentHelp(ReconciliationOption.help, valueName: "method"))
    var reconciliation: String?

    @Flag(help: "Print one JSON object instead of the text summary.")
    var json = false

    @Flag(help: "Run optics, Alice and Bob as three processes on loopback, over authenticated TCP.")
    var network = false
    @Flag(help: "Then serve the keys over ETSI GS QKD 014 (mutual TLS, certificates in <dir>/pki) until interrupted.")
    var serve = false

    @Option(help: ArgumentHelp("The KME's port with --serve.", valueName: "port"))
    var port: Int = 8443

    func run() throws {
        var configuration = try config.map(PresetCatalog.configuration(file:)) ?? PresetCatalog.configuration(named: preset)
        if let distance {
            guard distance >= 0, distance.isFinite else {
                throw QKDError(.invalidParameter, "--distance must be a non-negative number of km, got \(distance)")
            }
            configuration = try configuration.withDistance(distance)
        }
        configuration = try ReconciliationOption.apply(reconciliation, to: configuration)
        let runner = try DemoRunner(
            configuration: configuration, durationSeconds: DurationParser.seconds(duration), seed: seed, keyDirectory: keyDir)
        let result: (summary: DemoSummary, blocks: [BlockReport])
        if network {
            result = try NetworkDemo(runner: runner, preset: preset, configFile: config, distanceKm: distance, duration: duration,
                                 reconciliation: reconciliation).run()
        } else {
            var reported = -1
            let showProgress = isatty(STDERR_FILENO) != 0
            let local = try runner.run { fraction in
                guard showProgress else { return }
                let percent = Int(fraction * 10) * 10
                if percent > reported {
                    reported = percent
                    FileHandle.standardError.write(Data("\r  emulating and distilling: \(percent) %".utf8))
                    if percent == 100 { FileHandle.standardError.write(Data("\n".utf8)) }
                }
            }
            result = (local.summary, local.blocks)
        }
        if let blocksOut {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let requests = result.blocks.map { KeyRateRequest(block: $0, configuration: configuration) }
            do {
                try encoder.encode(requests).write(to: URL(fileURLWithPath: blocksOut))
            } catch {
                throw QKDError(.storage, "cannot write block counts to \(blocksOut)")
            }
        }
        let summary = result.summary
        if json {
            try printJSON(summary)
        } else {
            print(DemoReport(summary: summary).text)
        }
        if serve {
            try DemoKeyServer(keyDirectory: keyDir, port: port).run()
        }
    }
}
