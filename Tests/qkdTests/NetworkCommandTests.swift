import Foundation
import Testing

@Suite struct NetworkCommandTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/networks")

    @Test func theCorridorRelaysItsBottleneckRateAndExplainsIt() throws {
        let config = Self.examples.appendingPathComponent("corridor-240km.json").path
        let result = try runQKD(["network", "run", "--config", config, "--duration", "1h", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let links = try #require(report["links"] as? [[String: Any]])
        let pairs = try #require(report["pairs"] as? [[String: Any]])
        let bottleneck = try #require(links.compactMap { $0["secretKeyRate"] as? Double }.min())
        let pairRate = try #require(pairs.first?["keyRate"] as? Double)
        #expect(bottleneck > 0)
        // Relaying takes all of the bottleneck's key but what has not yet made a whole 256-bit key.
        #expect(pairRate <= bottleneck && pairRate > bottleneck - 2 * 256 / 3600)
        let relayedKeys = try #require(pairs.first?["relayedKeys"] as? Int)
        #expect(links.allSatisfy { $0["relayConsumedBits"] as? Int == relayedKeys * 256 })

        let text = try runQKD(["network", "run", "--config", config, "--duration", "1h"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("east <-> west: \(String(format: "%.1f", pairRate)) bit/s"))
        #expect(text.stdout.contains("relayed for this pair + 0.0 bit/s relayed for other pairs"))
        let terms = try Self.bottleneckTerms(text.stdout)
        #expect(abs(terms[0] - bottleneck) < 0.05)
        #expect(abs(terms[1] - pairRate) < 0.05)
        #expect(abs(terms[0] - terms.dropFirst().reduce(0, +)) < 0.25, "\(terms)")
    }

    /// The numbers of the first "bottleneck link" line: the link's rate, then the terms it splits into.
    static func bottleneckTerms(_ text: String) throws -> [Double] {
        let line = try #require(text.split(separator: "\n").first { $0.contains("bottleneck link") })
        let numbers = line.split(separator: ":", maxSplits: 1)[1].components(separatedBy: " bit/s").dropLast()
            .compactMap { Double($0.split(separator: " ").last ?? "") }
        #expect(numbers.count == line.components(separatedBy: " bit/s").count - 1, "\(line)")
        return numbers
    }

    @Test func aCutCorridorLinkStopsTheRelayAndTheSplitStillAddsUp() throws {
        let config = Self.examples.appendingPathComponent("corridor-240km.json").path
        let result = try runQKD(["network", "run", "--config", config, "--duration", "1h", "--cut", "middle-east@30m"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("middle-east (120 km, paper-120km, down 1800 s)"))
        #expect(result.stdout.contains("  middle-east down from 1800 s to the end:"))
        #expect(result.stdout.contains("    east <-> west: was relaying over east -> middle -> west; while down no route had key: none relayed"))
        #expect(result.stdout.contains("    bottleneck link middle-east: "))
        #expect(result.stdout.contains("not distilled while down"))
        let terms = try Self.bottleneckTerms(result.stdout)
        #expect(abs(terms[0] - terms.dropFirst().reduce(0, +)) < 0.25, "\(terms)")
        // Half the hour down: about half the bottleneck's rate is relayed, the other half never distilled.
        #expect(abs(terms[1] - terms[0] / 2) < 0.2 && abs(terms[4] - terms[0] / 2) < 0.1, "\(terms)")
    }

    @Test func cuttingARingLinkReroutesItsRelaysAndTheReportSaysSo() throws {
        let config = Self.examples.appendingPathComponent("metro-ring.json").path
        let result = try runQKD(["network", "run", "--config", config, "--duration", "15m", "--cut", "n2-n3@5m-10m", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let outage = try #require((report["outages"] as? [[String: Any]])?.first)
        #expect(outage["link"] as? String == "n2-n3" && outage["downAtSeconds"] as? Double == 300 && outage["upAtSeconds"] as? Double == 600)
        let reroutes = try #require(outage["reroutes"] as? [[String: Any]])
        #expect(!reroutes.isEmpty)
        for reroute in reroutes {
            let before = try #require(reroute["routeBefore"] as? String)
            let during = try #require(reroute["routesWhileDown"] as? [String: Int])
            #expect(before.contains("n2 -> n3") || before.contains("n3 -> n2"))
            #expect(!during.isEmpty && during.keys.allSatisfy { !$0.contains("n2 -> n3") && !$0.contains("n3 -> n2") })
        }
        let links = try #require(report["links"] as? [[String: Any]])
        #expect(links.first { $0["id"] as? String == "n2-n3" }?["downSeconds"] as? Double == 300)

        let example = Self.examples.appendingPathComponent("metro-ring-outage.json").path
        let text = try runQKD(["network", "run", "--config", example, "--duration", "25m"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("n2-n3 (25 km, paper-120km, detector.efficiency=0.6, fiber.extraLossDb=3, down 300 s)"))
        #expect(text.stdout.contains("  n2-n3 down from 1200 s to 2400 s:\n    "))
        #expect(text.stdout.contains("was relaying over"))
    }

    @Test func linkParametersOverrideThePresetAndBadOnesAreNamed() throws {
        let path = scratchPath("qkd-network", suffix: ".json")
        defer { try? FileManager.default.removeItem(atPath: path) }
        func run(parameters: String, preset: String = "paper-120km") throws -> (status: Int32, stdout: String, stderr: String) {
            let json = """
                {"nodes": [{"id": "west", "saes": ["SAE_WEST"]}, {"id": "middle"}, {"id": "east", "saes": ["SAE_EAST"]}],
                 "links": [{"id": "west-middle", "from": "west", "to": "middle", "preset": "paper-120km", "length_km": 120},
                           {"id": "middle-east", "from": "middle", "to": "east", "preset": "\(preset)", "length_km": 120,
                            "parameters": \(parameters)}]}
                """
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            return try runQKD(["network", "run", "--config", path, "--duration", "1h", "--json"])
        }
        func rates(_ result: (status: Int32, stdout: String, stderr: String)) throws -> (links: [Double], pair: Double) {
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let links = try #require((report["links"] as? [[String: Any]])?.compactMap { $0["secretKeyRate"] as? Double })
            return (links, try #require((report["pairs"] as? [[String: Any]])?.first?["keyRate"] as? Double))
        }
        let plain = try rates(try run(parameters: "{}")).links
        #expect(plain.count == 2 && plain[0] == plain[1] && plain[0] > 0)
        // The preset's detector is 74 % efficient; 70 % and 0.3 dB more loss at 120 km leave less than half the key.
        let (weaker, pair) = try rates(try run(parameters: #"{"detector.efficiency": 0.7, "fiber.extraLossDb": 0.3}"#))
        #expect(weaker[0] == plain[0])
        #expect(weaker[1] > 0 && weaker[1] < plain[1] / 2)
        #expect(pair <= weaker[1] && pair > weaker[1] - 2 * 256 / 3600)

        let misspelt = try run(parameters: #"{"detector.eficiency": 0.3}"#)
        #expect(misspelt.status == 2)
        #expect(misspelt.stderr.hasPrefix("error: network \(path): link \"middle-east\": unknown parameter \"detector.eficiency\""), "\(misspelt.stderr)")
        let impossible = try run(parameters: #"{"detector.efficiency": 1.5}"#)
        #expect(impossible.status == 2)
        #expect(impossible.stderr.contains("link \"middle-east\": detector efficiency must be in (0, 1], got 1.5"), "\(impossible.stderr)")
        #expect(impossible.stderr.split(separator: "\n").count == 1)
        let unknown = try run(parameters: "{}", preset: "nope")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("error: network \(path): link \"middle-east\": unknown preset \"nope\""), "\(unknown.stderr)")
    }

    @Test(arguments: [
        (["--cut", "n9-n1@5m"], "--cut \"n9-n1@5m\": network CONFIG has no link \"n9-n1\""),
        (["--cut", "n1-n2"], "--cut \"n1-n2\" is not like LINK@20m or LINK@20m-40m"),
        (["--cut", "n1-n2@soon"], "--cut \"n1-n2@soon\": duration \"soon\""),
        (["--cut", "n1-n2@20m-10m"], "--cut \"n1-n2@20m-10m\": the link must come back up after it goes down"),
    ])
    func aBadCutIsNamed(arguments: [String], expected: String) throws {
        let config = Self.examples.appendingPathComponent("metro-ring.json").path
        let result = try runQKD(["network", "run", "--config", config, "--duration", "1m"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(expected.replacingOccurrences(of: "CONFIG", with: config)), "\(result.stderr)")
    }

    /// A process-mode option without `--processes` is refused, even when its value is the
    /// default (the check looks at whether it was given, not at its value).
    @Test(arguments: [["--seed", "1"], ["--reserve-bits", "4096"], ["--peer-timeout", "10"], ["--keep-run-dir"]])
    func processOptionsNeedProcesses(arguments: [String]) throws {
        let config = Self.examples.appendingPathComponent("corridor-240km.json").path
        let result = try runQKD(["network", "run", "--config", config, "--duration", "1m"] + arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(arguments[0]) needs --processes"), "\(result.stderr)")
    }

    @Test func aBadNetworkIsOneLineAndExitCodeTwo() throws {
        let path = scratchPath("qkd-network", suffix: ".json")
        try Data(#"{"nodes": [{"id": "A"}], "links": [{"id": "l", "from": "A", "to": "A", "preset": "paper-120km", "length_km": 1}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runQKD(["network", "run", "--config", path])
        #expect(result.status == 2)
        #expect(result.stderr == "error: network \(path): link \"l\" links node \"A\" to itself\n", "\(result.stderr)")
    }
}
