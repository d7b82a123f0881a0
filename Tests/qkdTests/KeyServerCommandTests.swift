import Foundation
import NIOCore
import NIOPosix
import Testing

/// `qkd pki init`, `qkd kme serve` and `qkd keys` together, as a user runs them: the built
/// executable, a demo's key store, real mutual TLS on a free loopback port.
@Suite(.timeLimit(.minutes(1))) struct KeyServerCommandTests {
    @Test func masterAndSlaveFetchTheSameKeyThroughTheCommandLine() throws {
        let folder = scratchPath("qkd-kme")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try runQKD(["demo", "--distance", "60", "--duration", "10s", "--json", "--key-dir", folder + "/keys"]).status == 0)
        #expect(try runQKD(["pki", "init", folder + "/pki", "--port", "0"]).status == 0)

        let server = Process()
        server.executableURL = qkdExecutable()
        server.arguments = ["kme", "serve", "--config", folder + "/pki/kme.json", "--store", folder + "/keys/alice.sqlite"]
        let serverOutput = Pipe()
        server.standardOutput = serverOutput
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let line = String(decoding: serverOutput.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(line)")
        #expect(line.hasPrefix("listening on https://127.0.0.1:"), "\(line)")

        let pki = folder + "/pki/"
        let master = ["--kme", "localhost:\(port)", "--cert", pki + "sae-a.pem", "--key", pki + "sae-a-key.pem", "--cacert", pki + "ca.pem"]
        let slave = ["--kme", "localhost:\(port)", "--cert", pki + "sae-b.pem", "--key", pki + "sae-b-key.pem", "--cacert", pki + "ca.pem"]
        let got = try runQKD(["keys", "get", "SAE_B", "--size", "128"] + master)
        #expect(got.status == 0, "\(got.stderr)")
        let masterKeys = try #require(try JSONSerialization.jsonObject(with: Data(got.stdout.utf8)) as? [String: [[String: String]]])["keys"]
        let keyID = try #require(masterKeys?.first?["key_ID"])
        #expect(masterKeys?.first?["key"].flatMap { Data(base64Encoded: $0) }?.count == 16)

        let dec = try runQKD(["keys", "dec", "SAE_A", keyID] + slave)
        #expect(dec.status == 0, "\(dec.stderr)")
        let slaveKeys = try JSONSerialization.jsonObject(with: Data(dec.stdout.utf8)) as? [String: [[String: String]]]
        #expect(slaveKeys?["keys"] == masterKeys)

        let again = try runQKD(["keys", "dec", "SAE_A", keyID] + slave)
        #expect(again.status == 2)
        #expect(again.stderr.hasPrefix("error: the KME answered 400: key ID \(keyID)"), "\(again.stderr)")
        #expect(again.stderr.split(separator: "\n").count == 1)

        let wrongSAE = try runQKD(["keys", "status", "SAE_A"] + slave)
        #expect(wrongSAE.status == 2)
        #expect(wrongSAE.stderr.contains("401"), "\(wrongSAE.stderr)")

        // --hybrid sends the mandatory extension; one KME for both ends has no peer to derive with.
        let hybrid = try runQKD(["keys", "get", "SAE_B", "--hybrid"] + master)
        #expect(hybrid.status == 2)
        #expect(hybrid.stderr.contains("need a second KME to exchange an ML-KEM-768 secret with"), "\(hybrid.stderr)")
    }

    /// `qkd keys` against a listener that accepts and never answers gives up after
    /// --read-timeout, with one line naming the host and the timeout.
    @Test func keysGivesUpOnASilentKMEAfterTheReadTimeout() async throws {
        let folder = scratchPath("qkd-keys-timeout")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try runQKD(["pki", "init", folder, "--port", "0"]).status == 0)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = try #require(listener.localAddress?.port)
        let options = ["--kme", "localhost:\(port)", "--cert", folder + "/sae-a.pem", "--key", folder + "/sae-a-key.pem", "--cacert", folder + "/ca.pem"]
        let silent = try runQKD(["keys", "status", "SAE_B", "--read-timeout", "0.5s"] + options)
        #expect(silent.status == 2)
        #expect(silent.stderr == "error: the KME at localhost:\(port) did not answer within 500 ms (read timeout)\n", "\(silent.stderr)")
        let zero = try runQKD(["keys", "status", "SAE_B", "--connect-timeout", "0s"] + options)
        #expect(zero.status == 2)
        #expect(zero.stderr.contains("--connect-timeout: duration \"0s\" must be positive"), "\(zero.stderr)")
        try await listener.close()
    }

    /// `qkd pki init --network` on the corridor example, the three KMEs served by `qkd kme serve`,
    /// each link's pools holding a demo's keys: a key relayed west -> middle -> east reaches the
    /// slave at east identical, through `qkd keys`.
    @Test func theCorridorExampleRelaysAKeyThroughTheCommandLine() throws {
        let folder = scratchPath("qkd-relay")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try runQKD(["demo", "--distance", "60", "--duration", "10s", "--json", "--key-dir", folder + "/keys"]).status == 0)
        let port = Int.random(in: 20_000...60_000)
        let network = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/networks/corridor-240km.json").path
        let initialised = try runQKD(["pki", "init", folder + "/pki", "--network", network, "--port", "\(port)"])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        let pki = folder + "/pki/"
        for (file, copy) in [
            ("alice", "kme-west-link-west-middle"), ("bob", "kme-middle-link-west-middle"),
            ("alice", "kme-middle-link-middle-east"), ("bob", "kme-east-link-middle-east"),
        ] {
            try FileManager.default.copyItem(atPath: folder + "/keys/\(file).sqlite", toPath: pki + copy + ".sqlite")
        }
        var servers: [Process] = []
        defer {
            for server in servers {
                server.terminate()
                server.waitUntilExit()
            }
        }
        for node in ["west", "middle", "east"] {
            let server = Process()
            server.executableURL = qkdExecutable()
            server.arguments = ["kme", "serve", "--config", pki + "kme-\(node).json"]
            let output = Pipe()
            server.standardOutput = output
            server.standardError = FileHandle.nullDevice
            try server.run()
            servers.append(server)
            let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            #expect(line.hasPrefix("listening on https://127.0.0.1:"), "\(node): \(line)")
        }
        let master = ["--kme", "localhost:\(port)", "--cert", pki + "sae-west.pem", "--key", pki + "sae-west-key.pem", "--cacert", pki + "ca.pem"]
        let slave = ["--kme", "localhost:\(port + 2)", "--cert", pki + "sae-east.pem", "--key", pki + "sae-east-key.pem", "--cacert", pki + "ca.pem"]
        let got = try runQKD(["keys", "get", "SAE_EAST"] + master)
        #expect(got.status == 0, "\(got.stderr)")
        let masterKeys = try #require(try JSONSerialization.jsonObject(with: Data(got.stdout.utf8)) as? [String: [[String: String]]])["keys"]
        let keyID = try #require(masterKeys?.first?["key_ID"])
        let dec = try runQKD(["keys", "dec", "SAE_WEST", keyID] + slave)
        #expect(dec.status == 0, "\(dec.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(dec.stdout.utf8)) as? [String: [[String: String]]])?["keys"] == masterKeys)
        let audit = try String(contentsOfFile: pki + "kme-middle-audit.log", encoding: .utf8)
        #expect(audit.contains("relay key \(keyID) (256 bits, west -> middle -> east)"), "\(audit)")
    }

    @Test func aMissingConfigurationIsOneLineAndExitCodeTwo() throws {
        let result = try runQKD(["kme", "serve", "--config", "/nonexistent/kme.json"])
        #expect(result.status == 2)
        #expect(result.stderr == "error: KME configuration /nonexistent/kme.json cannot be read\n")
    }
}
