import Foundation
import KeyManagement
import KeyManagementPostgres
import QKDCore
import Testing

/// The test database, from `QKD_TEST_POSTGRES_URL`; the suite is skipped without it.
private let postgresURL = ProcessInfo.processInfo.environment["QKD_TEST_POSTGRES_URL"]

/// The PostgreSQL key store against a real server: the database of `QKD_TEST_POSTGRES_URL`
/// (`.ci/run` starts one with scripts/start-postgres.sh). Each test works in a schema of its own
/// and drops it.
@Suite(.enabled(if: postgresURL != nil, "QKD_TEST_POSTGRES_URL is not set"), .timeLimit(.minutes(1)))
struct PostgresKeyDeliveryStoreTests {
    private let pair = SAEPair(master: "SAE_A", slave: "SAE_B")

    /// `count` reproducible 256-bit keys.
    private func sampleKeys(_ count: Int) -> [StoredKey] {
        var generator = SeededGenerator(seed: 3, stream: "postgres store keys")
        return KeyChunker.randomIdentifiers(count: count, using: &generator).map { id in
            StoredKey(id: id, bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }, blockID: 9, createdAt: Date())
        }
    }

    /// Runs `body` with `instances` stores (as many KME instances) on a fresh schema holding `keys`.
    private func withStores(instances: Int = 1, keys: [StoredKey], _ body: ([PostgresKeyDeliveryStore]) async throws -> Void) async throws {
        let schema = "qkd_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let stores = try (0..<instances).map { _ in try PostgresKeyDeliveryStore(url: postgresURL!, schema: schema) }
        try await stores[0].prepare()
        try await stores[0].insert(keys)
        do {
            try await body(stores)
        } catch {
            try? await stores[0].dropSchema()
            throw error
        }
        try await stores[0].dropSchema()
    }

    @Test func masterThenSlaveGetTheSameKeysOnce() async throws {
        let keys = sampleKeys(6)
        try await withStores(keys: keys) { stores in
            let store = stores[0]
            let master = try await store.takeForMaster(count: 2, sizeBits: 264, pair: pair)
            #expect(master.map(\.id) == [keys[0].id, keys[2].id])
            #expect(master[0].bytes == Array((keys[0].bytes + keys[1].bytes).prefix(33)))
            #expect(try await store.availableBits() == 2 * 256)
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[0].id, UUID()], pair: pair) }
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[0].id], pair: SAEPair(master: "SAE_A", slave: "SAE_C")) }
            #expect(try await store.takeForSlave(ids: master.map(\.id), pair: pair) == master)
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[1].id], pair: pair) }
            await #expect(throws: QKDError(.unavailable, "not enough key material for 3 keys of 256 bits for SAE_A -> SAE_B")) {
                try await store.takeForMaster(count: 3, sizeBits: 256, pair: pair)
            }
            #expect(try await store.availableBits() == 2 * 256)
        }
    }

    /// 32 clients spread over 4 KME instances (4 connection pools) drain the store concurrently:
    /// their keys are disjoint and together exactly the stored keys.
    @Test func thirtyTwoConcurrentClientsGetDisjointKeysCoveringTheStore() async throws {
        let keys = sampleKeys(640)
        try await withStores(instances: 4, keys: keys) { stores in
            let pair = pair
            let taken = try await withThrowingTaskGroup(of: [DeliveredKey].self) { group in
                for client in 0..<32 {
                    let store = stores[client % stores.count]
                    group.addTask {
                        var mine: [DeliveredKey] = []
                        for _ in 0..<100 {
                            do {
                                mine += try await store.takeForMaster(count: 3, sizeBits: 256, pair: pair)
                            } catch let error as QKDError where error.code == .unavailable {
                                break
                            }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [DeliveredKey]()) { $0 += $1 }
            }
            #expect(Set(taken.map(\.id)).count == taken.count, "no key given twice")
            #expect(taken.count == 639)
            #expect(Set(taken.map(\.id)).isSubset(of: Set(keys.map(\.id))))
            #expect(Dictionary(uniqueKeysWithValues: taken.map { ($0.id, $0.bytes) }) ==
                    Dictionary(uniqueKeysWithValues: keys.prefix(639).map { ($0.id, $0.bytes) }))
        }
    }
}
