import Foundation
import Testing

@Suite(.serialized) struct NetworkLinkTests {
    @Test(.timeLimit(.minutes(2))) func threeProcessesOnLoopbackGiveIdenticalStores() throws {
        let fixture = try LinkFixture()
        defer { fixture.remove() }
        let optics = try fixture.startOptics(duration: "60s")
        defer { optics.process.stop() }
        let alice = try fixture.startNode("alice", peerPort: 0, opticsPort: optics.alicePort)
        defer { alice.stop() }
        let bob = try fixture.startNode("bob", peerPort: try alice.port(after: "listening on port "), opticsPort: optics.bobPort)
        defer { bob.stop() }
        #expect(bob.waitForExit(seconds: 90) == 0, "\(bob.errors)")
        #expect(alice.waitForExit(seconds: 10) == 0, "\(alice.errors)")

        #expect(try fixture.expectIdenticalStores() > 0)
        let blocks = bob.errors.components(separatedBy: "\n").filter { $0.contains("committed; authentication") }
        #expect(blocks.count >= 10, "\(bob.errors)")
    }

    @Test(.timeLimit(.minutes(1))) func badInputIsAClearError() throws {
        let fixture = try LinkFixture(lengthsKm: [50, 60])
        defer { fixture.remove() }
        let folder = fixture.folder
        let missing = try QKDProcess(["node", "--role", "alice", "--config", "link-50.json", "--peer", "127.0.0.1:0", "--time-tags", "none",
                                      "--store", "a.sqlite", "--bootstrap-key", "absent.key"], in: folder, name: "missing")
        #expect(missing.waitForExit(seconds: 20) == 2)
        #expect(missing.errors.contains("missing bootstrap key file absent.key"), "\(missing.errors)")
        let noTimeout = try QKDProcess(["node", "--role", "alice", "--config", "link-50.json", "--peer", "127.0.0.1:0", "--time-tags", "none",
                                        "--store", "a.sqlite", "--bootstrap-key", "boot.key", "--peer-timeout", "0"], in: folder, name: "no-timeout")
        #expect(noTimeout.waitForExit(seconds: 20) == 2)
        #expect(noTimeout.errors.contains("peer silence limit must be a positive number of seconds, got 0"), "\(noTimeout.errors)")

        let optics = try QKDProcess(["optics", "--config", "link-50.json", "--duration", "30s"], in: folder, name: "optics")
        defer { optics.stop() }
        let alicePort = try optics.port(after: "alice port "), bobPort = try optics.port(after: "bob port ")
        let unreachable = try QKDProcess(["node", "--role", "bob", "--config", "link-50.json", "--peer", "127.0.0.1:1", "--patience", "1",
                                          "--optics", "127.0.0.1:\(bobPort)", "--store", "b.sqlite", "--bootstrap-key", "boot.key"], in: folder, name: "unreachable")
        #expect(unreachable.waitForExit(seconds: 20) == 2)
        #expect(unreachable.errors.contains("cannot reach peer Alice at 127.0.0.1:1"), "\(unreachable.errors)")
        #expect(unreachable.errors.split(separator: "\n").count == 1, "\(unreachable.errors)")

        let alice = try QKDProcess(["node", "--role", "alice", "--config", "link-50.json", "--peer", "127.0.0.1:0", "--optics", "127.0.0.1:\(alicePort)",
                                    "--store", "a.sqlite", "--bootstrap-key", "boot.key"], in: folder, name: "alice")
        defer { alice.stop() }
        let peerPort = try alice.port(after: "listening on port ")
        let other = try QKDProcess(["node", "--role", "bob", "--config", "link-60.json", "--peer", "127.0.0.1:\(peerPort)",
                                    "--optics", "127.0.0.1:\(bobPort)", "--store", "b.sqlite", "--bootstrap-key", "boot.key"], in: folder, name: "other")
        #expect(other.waitForExit(seconds: 20) == 2)
        #expect(other.errors.contains("other parameters"), "\(other.errors)")
        #expect(alice.waitForExit(seconds: 20) == 2)
        #expect(alice.errors.contains("other parameters"), "\(alice.errors)")
    }
}
