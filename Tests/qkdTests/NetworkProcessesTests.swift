import Foundation
import KeyManagement
import Testing

/// `qkd network run --processes`: the corridor example as real processes (optics, nodes, KMEs),
/// keys relayed west -> middle -> east through ETSI GS QKD 014.
@Suite(.timeLimit(.minutes(5))) struct NetworkProcessesTests {
    /// The corridor example with its links shortened to 50 km and blocks of 20000 sifted bits, so
    /// that 30 s of link time gives several blocks per link; written to `folder/corridor.json`.
    private static func shortCorridor(in folder: String) throws -> String {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/networks/corridor-240km.json")
        var network = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: example)) as? [String: Any])
        let links = try #require(network["links"] as? [[String: Any]])
        network["links"] = links.map { link in
            var link = link
            link["length_km"] = 50
            link["parameters"] = ["postProcessing.blockSize": 20000]
            return link
        }
        let path = folder + "/corridor.json"
        try JSONSerialization.data(withJSONObject: network).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Whether this system lists processes in /proc (Linux), which the checks for orphans read.
    private static let listsProcesses = FileManager.default.fileExists(atPath: "/proc/self/cmdline")

    /// The processes whose command line mentions `folder` (none once a run has stopped them all;
    /// none either where /proc is missing).
    private static func processes(mentioning folder: String) -> [String] {
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return ids.filter { Int($0) != nil }.compactMap { id in
            guard let data = FileManager.default.contents(atPath: "/proc/\(id)/cmdline") else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return command.contains(folder) && [" optics ", " node ", " kme "].contains(where: command.contains) ? command : nil
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["QKD_TEST_NETWORK_PROCESSES"] == "1"))
    func theCorridorRelaysIdenticalKeysBetweenProcesses() throws {
        let folder = scratchPath("qkd-netproc")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.shortCorridor(in: folder)
        let run = folder + "/run"
        let result = try runQKD(["network", "run", "--config", config, "--duration", "30s", "--processes", "--run-dir", run,
                                 "--reserve-bits", "1024", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        let identical = try #require(outcome["keysIdentical"] as? Int)
        #expect(identical > 0)
        #expect(outcome["keysDiffering"] as? Int == 0)
        #expect(outcome["runFolderKept"] as? Bool == true)

        let report = try #require(outcome["report"] as? [String: Any])
        let pairs = try #require(report["pairs"] as? [[String: Any]])
        #expect(pairs.count == 1)
        #expect(pairs.first?["from"] as? String == "east" && pairs.first?["to"] as? String == "west")
        #expect(pairs.first?["relayedKeys"] as? Int == identical)
        #expect(pairs.first?["routes"] as? [String: Int] == ["east -> middle -> west": identical])

        // Every link: distilled = relayed pads + pool + lost pads, each relayed key took 256 bits of
        // both links, and the pair got no more than the link that distilled least.
        let links = try #require(report["links"] as? [[String: Any]])
        let lost = try #require(outcome["lostBits"] as? [String: Int])
        #expect(links.count == 2)
        for link in links {
            let id = try #require(link["id"] as? String)
            let distilled = try #require(link["distilledBits"] as? Int)
            let pool = try #require(link["poolBits"] as? Int)
            let relayed = try #require(link["relayConsumedBits"] as? Int)
            #expect(relayed == identical * 256, "\(id)")
            #expect(lost[id].map { $0 >= 0 && distilled == relayed + pool + $0 } == true, "\(id): \(distilled) \(relayed) \(pool) \(lost)")
            #expect(abs((link["secretKeyRate"] as? Double ?? 0) * 30 - Double(distilled)) < 1e-6)
        }
        // The middle node held the keys only in transit: its store of relayed keys is empty, its
        // audit log says so.
        #expect(try SQLiteKeyStore(path: run + "/pki/kme-middle.sqlite").count() == 0)
        let audit = try String(contentsOfFile: run + "/pki/kme-middle-audit.log", encoding: .utf8)
        #expect(audit.contains("held in memory only, erased, not stored"))
        let logs = try #require(outcome["logs"] as? [String: String])
        #expect(Set(logs.keys) == ["optics-west-middle", "alice-west-middle", "bob-west-middle", "optics-middle-east", "alice-middle-east",
                                   "bob-middle-east", "kme-west", "kme-middle", "kme-east"])
        #expect(logs.values.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(Self.processes(mentioning: run).isEmpty)
    }

    /// A node that refuses its arguments stops the run at start-up: the error names it and shows
    /// its log, the optics already started is stopped, and the temporary folder is removed.
    @Test func aNodeThatFailsToStartStopsTheRunAndIsNamed() throws {
        let folder = scratchPath("qkd-netproc")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.shortCorridor(in: folder)
        let result = try runQKD(["network", "run", "--config", config, "--duration", "30s", "--processes", "--run-dir", folder + "/run",
                                 "--reserve-bits", "100"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: the alice-west-middle process exited with status 2 while starting; last lines of \(folder)/run/logs/alice-west-middle.log:"),
                "\(result.stderr)")
        #expect(result.stderr.contains("128"), "\(result.stderr)")
        #expect(Self.processes(mentioning: folder).isEmpty)
    }

    /// SIGINT stops every process of the run.
    @Test func anInterruptStopsEveryProcess() throws {
        let folder = scratchPath("qkd-netproc")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.shortCorridor(in: folder)
        let run = try QKDProcess(["network", "run", "--config", config, "--duration", "10m", "--processes", "--run-dir", folder + "/run",
                                  "--reserve-bits", "1024"], in: folder, name: "network")
        defer { run.stop() }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: folder + "/run/logs/kme-east.out"), run.process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!Self.listsProcesses || !Self.processes(mentioning: folder).isEmpty)
        kill(run.process.processIdentifier, SIGINT)
        #expect(run.waitForExit(seconds: 30) == 2)
        #expect(run.errors.contains("error: SIGINT: stopped every process of the run; its files are in \(folder)/run"), "\(run.errors)")
        #expect(Self.processes(mentioning: folder).isEmpty)
    }
}
