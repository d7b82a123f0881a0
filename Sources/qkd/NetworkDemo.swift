import Foundation
import QKDCore
import QKDNode

/// `qkd demo --network`: the demo as three processes of this executable on loopback (`qkd
/// optics`, Alice's and Bob's `qkd node`), with authenticated TCP between the nodes. It waits for
/// all three, then summarises Bob's block reports and compares the two key stores. The node logs
/// are left next to the stores (`optics.log`, `alice.log`, `bob.log`).
struct NetworkDemo {
    /// The same demo's parameters (configuration, duration, seed, key folder).
    var runner: DemoRunner
    /// The preset, when no configuration file is given.
    var preset: String
    /// The configuration file, if any.
    var configFile: String?
    /// The fibre length overriding the preset's, if any.
    var distanceKm: Double?
    /// The link time as given on the command line.
    var duration: String
    /// The `--reconciliation` override, if any, passed to both nodes.
    var reconciliation: String?

    private static let processPatience = 60.0

    /// Runs the three processes to the end; throws a one-line error naming the process that failed.
    func run() throws -> (summary: DemoSummary, blocks: [BlockReport]) {
        let storePaths = try runner.settings.prepareKeyDirectory()
        let folder = runner.settings.keyDirectory
        let configurationArguments = try writeConfigurationArguments(in: folder)
        let bootstrapPath = (folder as NSString).appendingPathComponent("boot.key")
        let reportsPath = (folder as NSString).appendingPathComponent("bob-blocks.json")
        var generator = SystemRandomNumberGenerator()
        let bootstrap = Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        guard FileManager.default.createFile(atPath: bootstrapPath, contents: bootstrap) else {
            throw QKDError(.storage, "cannot write the bootstrap key \(bootstrapPath)")
        }
        try? FileManager.default.removeItem(atPath: reportsPath)

        let optics = try ChildProcess(
            ["optics"] + configurationArguments + ["--duration", duration, "--seed", String(runner.settings.seed)], name: "optics", folder: folder)
        defer { optics.stop() }
        let alicePort = try optics.number(after: "alice port ", patience: Self.processPatience)
        let bobPort = try optics.number(after: "bob port ", patience: Self.processPatience)
        let common = configurationArguments + ["--bootstrap-key", bootstrapPath] + (reconciliation.map { ["--reconciliation", $0] } ?? [])
        let alice = try ChildProcess(
            ["node", "--role", "alice", "--peer", "127.0.0.1:0", "--optics", "127.0.0.1:\(alicePort)", "--store", storePaths[0]] + common,
            name: "alice", folder: folder)
        defer { alice.stop() }
        let peerPort = try alice.number(after: "listening on port ", patience: Self.processPatience)
        let bob = try ChildProcess(
            ["node", "--role", "bob", "--peer", "127.0.0.1:\(peerPort)", "--optics", "127.0.0.1:\(bobPort)", "--store", storePaths[1],
             "--reports", reportsPath] + common,
            name: "bob", folder: folder)
        defer { bob.stop() }

        try ChildProcess.waitForAll([optics, alice, bob])
        let pulses = try optics.number(after: "served ", patience: 0)
        let detections = try optics.number(after: "pulses, ", patience: 0)
        guard let reportData = FileManager.default.contents(atPath: reportsPath),
              let reports = try? JSONDecoder().decode([BlockReport].self, from: reportData) else {
            throw QKDError(.storage, "Bob's node wrote no readable block reports to \(reportsPath)")
        }
        return (try runner.summary(of: reports, pulses: UInt64(pulses), detections: UInt64(detections), storePaths: storePaths), reports)
    }

    /// `--config FILE` or `--preset NAME` for the three processes; a distance override of a
    /// preset is written to `link.json` in the folder.
    private func writeConfigurationArguments(in folder: String) throws -> [String] {
        switch (configFile, distanceKm) {
        case (let file?, nil):
            return ["--config", file]
        case (nil, nil):
            return ["--preset", preset]
        case (nil, let distance?):
            let path = (folder as NSString).appendingPathComponent("link.json")
            let document = "{ \"preset\": \"\(preset)\", \"fiber\": { \"lengthKm\": \(distance) } }\n"
            guard FileManager.default.createFile(atPath: path, contents: Data(document.utf8)) else {
                throw QKDError(.storage, "cannot write the link configuration \(path)")
            }
            return ["--config", path]
        case (_?, _?):
            throw QKDError(.invalidParameter, "--network takes --distance only with a preset; set fiber.lengthKm in the --config file instead")
        }
    }
}
