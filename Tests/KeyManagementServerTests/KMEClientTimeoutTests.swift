import Foundation
import KeyManagement
import KeyManagementServer
import NIOCore
import NIOPosix
import QKDCore
import Testing

/// A KME that accepts the TCP connection and never answers (not even the TLS handshake) must
/// not hold its caller: the client gives up after its read timeout, with an error naming the
/// host and the timeout.
@Suite(.timeLimit(.minutes(1))) struct KMEClientTimeoutTests {
    /// A real TCP listener on loopback that accepts every connection and never writes a byte.
    private final class SilentListener: Sendable {
        let channel: any Channel
        var port: Int { channel.localAddress?.port ?? 0 }

        init() async throws {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 8)
                .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
                .bind(host: "127.0.0.1", port: 0)
                .get()
        }

        func stop() async {
            try? await channel.close()
        }
    }

    @Test func aKMEThatAcceptsAndNeverAnswersFailsWithinTheReadTimeout() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("KMEClientTimeout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = try DevelopmentPKI.create(in: directory)
        let listener = try await SilentListener()
        let client = try KMEClient(
            host: "localhost", port: listener.port, certificatePath: pki.path("sae-a.pem"), privateKeyPath: pki.path("sae-a-key.pem"),
            caPath: pki.path("ca.pem"), timeouts: KMEClient.Timeouts(connect: .seconds(5), read: .milliseconds(500)))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: QKDError.self) { try await client.send(KMEServer.basePath + "/SAE_B/status") }
        let elapsed = clock.now - start
        #expect(error?.code == .unavailable)
        #expect(error?.message == "the KME at localhost:\(listener.port) did not answer within 500 ms (read timeout)")
        // The bound only tells a timeout from a hang (the suite's limit is a minute); it is no
        // performance figure. The wait is at least the timeout.
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(15), "\(elapsed)")
        await listener.stop()
    }

    /// A KME whose peer is silent answers `enc_keys` with 503 naming the peer, the host and the
    /// timeout of its configuration, and hands out no key.
    @Test func aSilentPeerKMEIs503WithinThePeerReadTimeout() async throws {
        let listener = try await SilentListener()
        let a = try await TestKME(keyCount: 4, configurationFile: "kme-a.json") {
            $0.peer?.port = listener.port
            $0.peerTimeouts = KMEClient.Timeouts(connect: .seconds(5), read: .milliseconds(300))
        }
        let result = try await a.curl(KMEServer.basePath + "/SAE_B/enc_keys", as: "SAE_A")
        #expect(result.status == 503)
        #expect(
            (result.json?["message"] as? String)?.contains(
                "the peer KME KME_B is unreachable (the KME at localhost:\(listener.port) did not answer within 300 ms (read timeout))") == true,
            "\(result.json ?? [:])")
        #expect(result.json?["keys"] == nil)
        await a.stop()
        await listener.stop()
    }

    /// `peer_connect_timeout` and `peer_read_timeout` (seconds) set the peer timeouts; absent,
    /// the defaults; not positive, an error naming the file and the field.
    @Test func theConfigurationSetsThePeerTimeouts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("KMETimeoutConfig-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = try DevelopmentPKI.create(in: directory)
        let file = pki.path("kme-a.json")
        #expect(try KMEConfiguration.load(file: file).peerTimeouts == .default)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        document["peer_connect_timeout"] = 2
        document["peer_read_timeout"] = 0.25
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
        let configuration = try KMEConfiguration.load(file: file)
        #expect(configuration.peerTimeouts == KMEClient.Timeouts(connect: .seconds(2), read: .milliseconds(250)))
        try configuration.write(to: file)
        #expect(try KMEConfiguration.load(file: file).peerTimeouts == configuration.peerTimeouts, "written and read back")
        document["peer_read_timeout"] = -1
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: QKDError.self) { try KMEConfiguration.load(file: file) }
        #expect(error?.message.contains("peer_read_timeout -1.0 must be a positive number of seconds") == true, "\(error?.message ?? "")")
    }

    @Test func timeoutsMustBePositive() throws {
        #expect(throws: QKDError.self) { try KMEClient.Timeouts(connect: .zero, read: .seconds(1)).validate("test client") }
        #expect(throws: QKDError.self) { try KMEClient.Timeouts(connect: .seconds(1), read: .milliseconds(-1)).validate("test client") }
        try KMEClient.Timeouts.default.validate("test client")
    }
}
