import Foundation
import KeyManagement
import KeyManagementPostgres
import KeyManagementServer
import Testing

/// The PostgreSQL test database, from `QKD_TEST_POSTGRES_URL`; the suite is skipped without it.
private let postgresURL = ProcessInfo.processInfo.environment["QKD_TEST_POSTGRES_URL"]

/// The key server on the PostgreSQL store (a schema of its own, dropped at the end), over real
/// mutual TLS with `curl` as the client.
@Suite(.enabled(if: postgresURL != nil, "QKD_TEST_POSTGRES_URL is not set"), .timeLimit(.minutes(1)))
struct PostgresKMEServerTests {
    private static let keys = KMEServer.basePath

    /// 32 clients draining a PostgreSQL-backed KME at once get disjoint keys and together exactly
    /// the stored keys; the slave then gets every one of them.
    @Test func thirtyTwoConcurrentClientsGetDisjointKeysCoveringTheStore() async throws {
        let schema = "qkd_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let store = try PostgresKeyDeliveryStore(url: postgresURL!, schema: schema)
        let kme = try await TestKME(keyCount: 320, openStore: { _, keys in
            try await store.prepare()
            try await store.insert(keys)
            return store
        })
        do {
            let taken = try await withThrowingTaskGroup(of: [[String: String]].self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        var mine: [[String: String]] = []
                        for _ in 0..<20 {
                            let result = try await kme.curl("\(Self.keys)/SAE_B/enc_keys?number=4", as: "SAE_A")
                            guard result.status == 200 else { break }
                            mine += result.json?["keys"] as? [[String: String]] ?? []
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [[String: String]]()) { $0 += $1 }
            }
            #expect(taken.count == 320)
            #expect(Set(taken.compactMap { $0["key_ID"] }) == Set(kme.keys.map { $0.id.uuidString.lowercased() }))
            let stored: [String: String] = Dictionary(
                uniqueKeysWithValues: kme.keys.map { ($0.id.uuidString.lowercased(), Data($0.bytes).base64EncodedString()) })
            #expect(taken.allSatisfy { stored[$0["key_ID"] ?? ""] == $0["key"] })
            let slave = try await kme.curl(
                "\(Self.keys)/SAE_A/dec_keys", as: "SAE_B",
                body: #"{"key_IDs": ["# + taken.prefix(100).map { #"{"key_ID": "\#($0["key_ID"]!)"}"# }.joined(separator: ", ") + "]}")
            #expect(slave.json?["keys"] as? [[String: String]] == Array(taken.prefix(100)))
        } catch {
            await kme.stop()
            try? await store.dropSchema()
            throw error
        }
        await kme.stop()
        try await store.dropSchema()
    }
}
