import Foundation
import Testing

/// About 50 s in a debug build (the node's LDPC codes are built and decoded there).
@Suite(.serialized)
struct NetworkLDPCTests {
    /// Optics, Alice and Bob as three processes on loopback, LDPC over the authenticated TCP link:
    /// both stores end with the same verified keys, and Bob's log names the method and f of every block.
    @Test(.timeLimit(.minutes(3))) func ldpcOverTCPGivesIdenticalStores() throws {
        let fixture = try LinkFixture()
        let folder = fixture.folder
        let optics = try QKDProcess(["optics", "--config", "link-50.json", "--duration", "30s", "--frame", "1s"], in: folder, name: "optics")
        defer { optics.stop() }
        let alicePort = try optics.port(after: "alice port "), bobPort = try optics.port(after: "bob port ")
        let common = ["--config", "link-50.json", "--bootstrap-key", "boot.key", "--reserve-bits", "1024", "--reconciliation", "ldpc",
                      "--peer-timeout", "120"]  // a debug build decodes a block for longer than the default 10 s
        let alice = try QKDProcess(["node", "--role", "alice", "--peer", "127.0.0.1:0", "--optics", "127.0.0.1:\(alicePort)",
                                    "--store", "alice.sqlite"] + common, in: folder, name: "alice")
        defer { alice.stop() }
        let peerPort = try alice.port(after: "listening on port ")
        let bob = try QKDProcess(["node", "--role", "bob", "--peer", "127.0.0.1:\(peerPort)", "--optics", "127.0.0.1:\(bobPort)",
                                  "--store", "bob.sqlite", "--reports", "bob-blocks.json"] + common, in: folder, name: "bob")
        defer { bob.stop() }
        #expect(bob.waitForExit(seconds: 150) == 0, "\(bob.errors)")
        #expect(alice.waitForExit(seconds: 10) == 0, "\(alice.errors)")

        #expect(try fixture.expectIdenticalStores() > 0)
        let ldpcBlocks = bob.errors.components(separatedBy: "\n").filter { $0.contains("ldpc disclosed") }
        #expect(ldpcBlocks.count >= 3, "\(bob.errors)")
        #expect(!bob.errors.contains("session ended") && !alice.errors.contains("block discarded"), "\(bob.errors)\n\(alice.errors)")
        let reports = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/bob-blocks.json"))) as? [[String: Any]]
        let reconciled = (reports ?? []).filter { $0["method"] != nil }
        #expect(reconciled.count == ldpcBlocks.count)
        #expect(reconciled.allSatisfy { $0["method"] as? String == "ldpc" && $0["verified"] as? Bool == true && ($0["efficiency"] as? Double ?? 0) > 1 })
    }
}
