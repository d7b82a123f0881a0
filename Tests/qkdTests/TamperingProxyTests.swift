import Foundation
import Testing

/// A man in the middle between the two nodes flips a bit, drops, duplicates and replays frames
/// (one tampering per connection, each after a committed block): each is detected, its
/// session's blocks in flight are discarded, Bob reconnects, distillation carries on and the
/// stores agree.
@Suite(.serialized) struct TamperingProxyTests {
    @Test(.timeLimit(.minutes(3))) func tamperedFramesAreRefusedAndTheLinkRecovers() throws {
        let fixture = try LinkFixture()
        defer { fixture.remove() }
        let optics = try fixture.startOptics(duration: "60s")
        defer { optics.process.stop() }
        // One block in flight: a broken session then costs one block of link time, not four.
        let common = ["--blocks-in-flight", "1"]
        let alice = try fixture.startNode("alice", peerPort: 0, opticsPort: optics.alicePort, arguments: common)
        defer { alice.stop() }
        let proxy = try TamperingProxy(targetPort: try alice.port(after: "listening on port "))
        defer { proxy.stop() }
        let bob = try fixture.startNode("bob", peerPort: proxy.port, opticsPort: optics.bobPort, arguments: common)
        defer { bob.stop() }
        for (index, tampering) in TamperingProxy.Tampering.allCases.enumerated() {
            let committed = bob.errorLines(containing: "committed; authentication").count
            #expect(bob.waitForErrorLines(containing: "committed; authentication", count: committed + 1, seconds: 30), "\(bob.errors)")
            proxy.tamperWithNextFrame(tampering)
            #expect(bob.waitForErrorLines(containing: "session established", count: index + 2, seconds: 30), "\(tampering): \(bob.errors)")
        }
        #expect(bob.waitForExit(seconds: 90) == 0, "\(bob.errors)")
        #expect(alice.waitForExit(seconds: 10) == 0, "\(alice.errors)")

        #expect(proxy.appliedTamperings == TamperingProxy.Tampering.allCases)
        #expect(proxy.connectionCount == TamperingProxy.Tampering.allCases.count + 1)
        let refusals = (alice.errorLines(containing: "session ended") + bob.errorLines(containing: "session ended"))
            .filter { !$0.contains("connection to the peer closed") }
        #expect(refusals.filter { $0.contains("failed authentication") }.count == 1, "\(refusals)")
        // A dropped frame is revealed by the next frame, or, when none follows (both nodes then
        // wait for each other), by the peer's silence.
        let replays = refusals.filter { $0.contains("a replayed, dropped or reordered frame") }.count
        let silences = refusals.filter { $0.contains("no frame from the peer") }.count
        #expect(replays + silences >= 3 && replays >= 2, "\(refusals)")
        #expect(refusals.allSatisfy { $0.contains("blocks in flight discarded") })
        let bobLines = bob.errors.split(separator: "\n")
        // The last session that tampering ended (a normal close at the end of the stream does not count).
        let lastSessionEnd = try #require(bobLines.lastIndex { $0.contains("session ended") && !$0.contains("connection to the peer closed") })
        #expect(bobLines[lastSessionEnd...].contains { $0.contains("committed; authentication") }, "no block after the last recovery")
        #expect(try fixture.expectIdenticalStores() > 0)
    }
}
