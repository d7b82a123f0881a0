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
        #expect(text.stdout.contains("east <-> west: "))
        #expect(text.stdout.contains("relayed for this pair + 0.0 bit/s relayed for other pairs"))
    }

    @Test func aBadNetworkIsOneLineAndExitCodeTwo() throws {
        let path = NSTemporaryDirectory() + "qkd-network-\(UUID().uuidString).json"
        try Data(#"{"nodes": [{"id": "A"}], "links": [{"id": "l", "from": "A", "to": "A", "preset": "paper-120km", "length_km": 1}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runQKD(["network", "run", "--config", path])
        #expect(result.status == 2)
        #expect(result.stderr == "error: network \(path): link \"l\" links node \"A\" to itself\n", "\(result.stderr)")
    }
}
