import Foundation
import Testing

/// Set QKD_TEST_LDPC_LINK=1. Not yet reliable: blocks opened before any block has finished are
/// rated on the X QBER (9-10 % against 2 % in Z at 50 km), disclose f = 2.6-3 and give no key, so
/// on a quiet machine, where all blocks open at once, some runs store no key at all.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["QKD_TEST_LDPC_LINK"] == "1", "set QKD_TEST_LDPC_LINK=1"))
struct NetworkLDPCTests {
    /// Optics, Alice and Bob as three processes on loopback, LDPC over the authenticated TCP link:
    /// both stores end with the same verified keys, and Bob's log names the method and f of every block.
    @Test(.timeLimit(.minutes(3))) func ldpcOverTCPGivesIdenticalStores() throws {
        let fixture = try LinkFixture()
        defer { fixture.remove() }
        let folder = fixture.folder
        let optics = try fixture.startOptics(duration: "30s")
        defer { optics.process.stop() }
        // A debug build decodes a block for longer than the default 10 s of peer silence.
        let common = ["--reconciliation", "ldpc", "--peer-timeout", "120"]
        let alice = try fixture.startNode("alice", peerPort: 0, opticsPort: optics.alicePort, arguments: common)
        defer { alice.stop() }
        let bob = try fixture.startNode("bob", peerPort: try alice.port(after: "listening on port "), opticsPort: optics.bobPort,
                                        arguments: common + ["--reports", "bob-blocks.json"])
        defer { bob.stop() }
        #expect(bob.waitForExit(seconds: 150) == 0, "\(bob.errors)")
        #expect(alice.waitForExit(seconds: 10) == 0, "\(alice.errors)")

        #expect(try fixture.expectIdenticalStores() > 0, "\(bob.errors)")
        let ldpcBlocks = bob.errors.components(separatedBy: "\n").filter { $0.contains("ldpc disclosed") }
        #expect(ldpcBlocks.count >= 3, "\(bob.errors)")
        #expect(!bob.errors.contains("session ended") && !alice.errors.contains("block discarded"), "\(bob.errors)\n\(alice.errors)")
        let reports = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/bob-blocks.json"))) as? [[String: Any]]
        let reconciled = (reports ?? []).filter { $0["method"] != nil }
        #expect(reconciled.count == ldpcBlocks.count)
        #expect(reconciled.allSatisfy { $0["method"] as? String == "ldpc" && $0["verified"] as? Bool == true && ($0["efficiency"] as? Double ?? 0) > 1 })
    }
}
