import Foundation
import KeyManagement
import QKDCore
import Testing

@Suite struct SQLiteKeyDeliveryStoreTests {
    private let pair = SAEPair(master: "SAE_A", slave: "SAE_B")

    /// A store file holding `count` 256-bit keys, and those keys.
    private func storeFile(in directory: TemporaryDirectory, count: Int) throws -> (path: String, keys: [StoredKey]) {
        let path = directory.file("kme.sqlite")
        let keys = SampleKeys.make(count: count, blockID: 1)
        try SQLiteKeyStore(path: path).insert(keys)
        return (path, keys)
    }

    @Test func masterThenSlaveGetTheSameKeysOnceAndTheStoreForgetsThem() async throws {
        let directory = try TemporaryDirectory()
        let (path, keys) = try storeFile(in: directory, count: 4)
        let store = try SQLiteKeyDeliveryStore(path: path)
        let master = try await store.takeForMaster(count: 2, sizeBits: 256, pair: pair)
        #expect(master.map(\.id) == keys.prefix(2).map(\.id))
        #expect(master.map(\.bytes) == keys.prefix(2).map(\.bytes))
        #expect(try await store.availableBits() == 2 * 256)
        let slave = try await store.takeForSlave(ids: master.map(\.id), pair: pair)
        #expect(slave == master)
        #expect(try SQLiteKeyStore(path: path).keyIDs() == keys.suffix(2).map(\.id))
        await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[0].id], pair: pair) }
    }

    @Test(arguments: [(8, 1), (248, 1), (256, 1), (264, 2), (512, 2), (1024, 4)])
    func sizesAreCutFromConsecutiveStoredKeys(sizeBits: Int, storedKeysUsed: Int) async throws {
        let directory = try TemporaryDirectory()
        let (path, keys) = try storeFile(in: directory, count: 8)
        let store = try SQLiteKeyDeliveryStore(path: path)
        let key = try #require(try await store.takeForMaster(count: 1, sizeBits: sizeBits, pair: pair).first)
        #expect(key.id == keys[0].id)
        #expect(key.bytes == Array(keys.prefix(storedKeysUsed).flatMap(\.bytes).prefix(sizeBits / 8)))
        #expect(try await store.availableBits() == (8 - storedKeysUsed) * 256)
        let next = try #require(try await store.takeForMaster(count: 1, sizeBits: 256, pair: pair).first)
        #expect(next.id == keys[storedKeysUsed].id)
        #expect(try await store.takeForSlave(ids: [key.id], pair: pair) == [key])
        #expect(try SQLiteKeyStore(path: path).count() == 8 - storedKeysUsed)
    }

    @Test func tooLittleMaterialTakesNothing() async throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try storeFile(in: directory, count: 3)
        let store = try SQLiteKeyDeliveryStore(path: path)
        await #expect(throws: QKDError(.unavailable, "not enough key material for 2 keys of 512 bits for SAE_A -> SAE_B")) {
            try await store.takeForMaster(count: 2, sizeBits: 512, pair: pair)
        }
        #expect(try await store.availableBits() == 3 * 256)
    }

    @Test func slaveRequestsFailWholeOnAnyBadID() async throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try storeFile(in: directory, count: 4)
        let store = try SQLiteKeyDeliveryStore(path: path)
        let master = try await store.takeForMaster(count: 2, sizeBits: 256, pair: pair)
        let otherPair = SAEPair(master: "SAE_A", slave: "SAE_C")
        for ids in [[master[0].id, UUID()], [master[0].id, master[0].id]] {
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: ids, pair: pair) }
        }
        await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[1].id], pair: otherPair) }
        #expect(try await store.takeForSlave(ids: master.map(\.id), pair: pair) == master)
    }

    @Test func deliveriesSurviveReopeningTheFile() async throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try storeFile(in: directory, count: 2)
        let master = try await SQLiteKeyDeliveryStore(path: path).takeForMaster(count: 2, sizeBits: 256, pair: pair)
        let reopened = try SQLiteKeyDeliveryStore(path: path)
        #expect(try await reopened.availableBits() == 0)
        #expect(try await reopened.takeForSlave(ids: master.map(\.id), pair: pair) == master)
    }

    /// Keys the link adds while others wait for their slave, or after the newest were taken by the
    /// slave, are the next ones delivered (masters start after the highest delivered sequence).
    @Test func keysAddedAfterDeliveriesAreDeliveredNext() async throws {
        let directory = try TemporaryDirectory()
        let (path, keys) = try storeFile(in: directory, count: 4)
        let store = try SQLiteKeyDeliveryStore(path: path)
        let first = try await store.takeForMaster(count: 4, sizeBits: 256, pair: pair)
        _ = try await store.takeForSlave(ids: [first[2].id, first[3].id], pair: pair)
        let later = SampleKeys.make(count: 3, blockID: 2)
        try SQLiteKeyStore(path: path).insert(later)
        #expect(try await store.availableBits() == 3 * 256)
        let second = try await store.takeForMaster(count: 3, sizeBits: 256, pair: pair)
        #expect(second.map(\.id) == later.map(\.id))
        #expect(try await store.takeForSlave(ids: [first[0].id, first[1].id], pair: pair).map(\.bytes) == keys.prefix(2).map(\.bytes))
        _ = try await store.takeForSlave(ids: second.map(\.id), pair: pair)
        try SQLiteKeyStore(path: path).insert(SampleKeys.make(count: 1, blockID: 3))
        #expect(try await store.takeForMaster(count: 1, sizeBits: 256, pair: pair).map(\.id) == SampleKeys.make(count: 1, blockID: 3).map(\.id))
    }

    @Test(arguments: [0, -1]) func invalidCountsAreRefused(count: Int) async throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try storeFile(in: directory, count: 1)
        let store = try SQLiteKeyDeliveryStore(path: path)
        await #expect(throws: QKDError.self) { try await store.takeForMaster(count: count, sizeBits: 256, pair: pair) }
        await #expect(throws: QKDError.self) { try await store.takeForMaster(count: 1, sizeBits: 12, pair: pair) }
    }

    /// 32 clients, each on its own connection to the file (as 32 KME processes would be), drain
    /// the store concurrently: their keys are disjoint and together exactly the stored keys.
    @Test func thirtyTwoConcurrentClientsGetDisjointKeysCoveringTheStore() async throws {
        let directory = try TemporaryDirectory()
        let (path, keys) = try storeFile(in: directory, count: 640)
        let stores = try (0..<32).map { _ in try SQLiteKeyDeliveryStore(path: path) }
        let pair = pair
        let taken = try await withThrowingTaskGroup(of: [DeliveredKey].self) { group in
            for store in stores {
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
            return try await group.reduce(into: [[DeliveredKey]]()) { $0.append($1) }
        }
        let allIDs = taken.flatMap { $0.map(\.id) }
        #expect(Set(allIDs).count == allIDs.count, "no key given twice")
        #expect(allIDs.count == 639, "640 keys make 213 requests of 3; one key is left")
        #expect(Set(allIDs).isSubset(of: Set(keys.map(\.id))))
        #expect(try await stores[0].availableBits() == 256)
    }
}
