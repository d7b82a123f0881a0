import Foundation
import KeyManagement
import KeyManagementServer
import KeyRelay
import Logging
import QKDCore
import ServiceLifecycle

/// A KME serving on an ephemeral loopback port for one test: a fresh development PKI (or the one
/// of another test KME, for a KME at each end of a link), a store holding `keyCount` reproducible
/// 256-bit keys (the same keys for every test KME, as the two nodes of a link hold), and the real
/// server with mutual TLS. `stop()` ends it; the folder is deleted when the value is released.
final class TestKME: @unchecked Sendable {
    let directory: String
    let pki: DevelopmentPKI
    let keys: [StoredKey]
    let port: Int
    private let ownsDirectory: Bool
    private let serverGroup: ServiceGroup
    private let serverTask: Task<Void, any Error>

    /// A KME configured by `configurationFile` of the PKI, adjusted by `configure`, on a store
    /// that `openStore` opens and fills with `keys` (by default the configuration's SQLite file);
    /// a relaying KME draws the keys it relays with `drawRelayKey`.
    init(
        keyCount: Int,
        maxKeyPerRequest: Int = 128,
        sharing existing: DevelopmentPKI? = nil,
        configurationFile: String = "kme.json",
        configure: (inout KMEConfiguration) -> Void = { _ in },
        openStore: (KMEConfiguration, [StoredKey]) async throws -> any KeyDeliveryStore = { try TestKME.sqliteStore($0, keys: $1) },
        drawRelayKey: @escaping @Sendable (Int) -> [UInt8] = KeyRelayNetwork.systemRandomBytes
    ) async throws {
        directory = existing?.directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("KMETests-\(UUID().uuidString)").path
        pki = try existing ?? DevelopmentPKI.create(in: directory)
        ownsDirectory = existing == nil
        var generator = SeededGenerator(seed: 7, stream: "test KME keys")
        keys = KeyChunker.randomIdentifiers(count: keyCount, using: &generator).map { id in
            StoredKey(id: id, bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }, blockID: 1, createdAt: Date())
        }
        var configuration = try KMEConfiguration.load(file: pki.path(configurationFile))
        configuration.port = 0
        configuration.maxKeyPerRequest = maxKeyPerRequest
        configure(&configuration)
        let server = KMEServer(entity: try KeyManagementEntity(
            configuration: configuration, store: try await openStore(configuration, keys), drawRelayKey: drawRelayKey))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try server.application { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "test-kme")))
        serverGroup = group
        serverTask = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await serverTask.value
            throw QKDError(.protocolFailure, "the test KME stopped before listening")
        }
        self.port = port
    }

    /// Shuts the server down gracefully and waits until it has.
    func stop() async {
        await serverGroup.triggerGracefulShutdown()
        _ = try? await serverTask.value
    }

    deinit {
        serverTask.cancel()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The configuration's SQLite store file, holding `keys`.
    static func sqliteStore(_ configuration: KMEConfiguration, keys: [StoredKey]) throws -> any KeyDeliveryStore {
        try SQLiteKeyStore(path: configuration.storePath).insert(keys)
        return try SQLiteKeyDeliveryStore(path: configuration.storePath)
    }

    /// The URL of `path` on this server.
    func url(_ path: String) -> String { "https://localhost:\(port)\(path)" }

    /// Runs `curl` as `sae` (a configured SAE, nil for no client certificate) with `pki`'s CA.
    func curl(_ path: String, as sae: String?, body: String? = nil, clientPKI: DevelopmentPKI? = nil) async throws -> Curl.Result {
        var arguments = ["--cacert", pki.path("ca.pem")]
        if let sae {
            let certificates = clientPKI ?? pki
            let name = DevelopmentPKI.fileName(sae: sae)
            arguments += ["--cert", certificates.path("\(name).pem"), "--key", certificates.path("\(name)-key.pem")]
        }
        if let body {
            arguments += ["-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body]
        }
        return try await Curl.run(arguments + [url(path)])
    }
}
