import Foundation
import Testing

/// `qkd demo --network` runs optics, Alice and Bob as three processes and summarises the run.
@Suite(.serialized) struct NetworkDemoTests {
    @Test(.timeLimit(.minutes(2))) func networkDemoGivesIdenticalStoresAndASummary() throws {
        let fixture = try LinkFixture()
        defer { fixture.remove() }
        let demo = try QKDProcess(["demo", "--network", "--config", "link-50.json", "--duration", "15s", "--key-dir", "keys", "--json"],
                                  in: fixture.folder, name: "demo")
        defer { demo.stop() }
        #expect(demo.waitForExit(seconds: 90) == 0, "\(demo.errors)")
        let summary = try JSONSerialization.jsonObject(with: Data(demo.output.utf8)) as? [String: Any]
        #expect(summary?["keysIdentical"] as? Bool == true, "\(demo.output)")
        #expect((summary?["blocksWithKey"] as? Int ?? 0) > 0, "\(demo.output)")
        #expect(summary?["pulses"] as? Int == 1_139_205_000, "15 s at 75.947 MHz: \(demo.output)")
        #expect((summary?["detections"] as? Int ?? 0) > 0, "\(demo.output)")
        #expect(try fixture.expectIdenticalStores(alice: "keys/alice.sqlite", bob: "keys/bob.sqlite") == summary?["keysStored"] as? Int)
    }
}
