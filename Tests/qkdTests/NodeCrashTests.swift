import Foundation
import Testing

/// Either node killed with SIGKILL in the middle of a run and restarted on the same store: the
/// pair reconciles its pending blocks at the handshake, carries on, and both stores agree.
@Suite(.serialized) struct NodeCrashTests {
    private static let committedMarker = "committed; authentication"

    @Test(.timeLimit(.minutes(3))) func killedNodesResumeAndStoresStayIdentical() throws {
        let fixture = try LinkFixture()
        defer { fixture.remove() }
        let optics = try fixture.startOptics(duration: "60s")
        defer { optics.process.stop() }
        // Two blocks in flight: a killed node then loses little link time.
        let common = ["--patience", "30", "--blocks-in-flight", "2"]
        func startAlice(listeningOn port: Int, name: String) throws -> QKDProcess {
            try fixture.startNode("alice", peerPort: port, opticsPort: optics.alicePort, arguments: common, name: name)
        }
        let firstAlice = try startAlice(listeningOn: 0, name: "alice-1")
        defer { firstAlice.stop() }
        let peerPort = try firstAlice.port(after: "listening on port ")
        func startBob(name: String) throws -> QKDProcess {
            try fixture.startNode("bob", peerPort: peerPort, opticsPort: optics.bobPort, arguments: common, name: name)
        }
        let firstBob = try startBob(name: "bob-1")
        defer { firstBob.stop() }

        // Bob dies after his first committed block, with further blocks in flight.
        #expect(firstBob.waitForErrorLines(containing: Self.committedMarker, seconds: 30), "\(firstBob.errors)")
        firstBob.killHard()
        let secondBob = try startBob(name: "bob-2")
        defer { secondBob.stop() }

        // Alice dies right after Bob commits a block she may not have settled yet.
        #expect(secondBob.waitForErrorLines(containing: Self.committedMarker, count: 2, seconds: 30), "\(secondBob.errors)")
        firstAlice.killHard()
        let secondAlice = try startAlice(listeningOn: peerPort, name: "alice-2")
        defer { secondAlice.stop() }

        #expect(secondBob.waitForExit(seconds: 60) == 0, "\(secondBob.errors)")
        #expect(secondAlice.waitForExit(seconds: 10) == 0, "\(secondAlice.errors)")
        #expect(!firstAlice.errorLines(containing: "session ended").isEmpty, "\(firstAlice.errors)")
        // Distillation resumes: the restarted Alice commits at least one new block (more within the
        // 60 s of link time on an idle machine; a loaded one may leave time for only one).
        #expect(secondAlice.errorLines(containing: Self.committedMarker).count >= 1, "\(secondAlice.errors)")
        #expect(try fixture.expectIdenticalStores() > 0)
    }
}
