import Foundation
import GRDB
import KeyManagement
import QKDCore
import Testing

/// What only the SQLite store has: its file (see ``KeyDeliveryStoreBehaviourTests`` for the
/// behaviour every store shares).
@Suite struct SQLiteKeyDeliveryStoreTests {
    private let pair = SAEPair(master: "SAE_A", slave: "SAE_B")

    /// A store file holding `count` 256-bit keys, and those keys.
    private func storeFile(in directory: TemporaryDirectory, count: Int) throws -> (path: String, keys: [StoredKey]) {
        let path = directory.file("kme.sqlite")
        let keys = SampleKeys.make(count: count, blockID: 1)
        try SQLiteKeyStore(path: path).insert(keys)
        return (path, keys)
    }

    @Test func theSlaveDeletesTheKeysFromTheFile() async throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try storeFile(in: directory, count: 4)
        let store = try SQLiteKeyDeliveryStore(path: path)
        let master = try await store.takeForMaster(count: 2, sizeBits: 264, pair: pair)
        #expect(try SQLiteKeyStore(path: path).count() == 4)
        _ = try await store.takeForSlave(ids: master.map(\.id), pair: pair)
        #expect(try SQLiteKeyStore(path: path).keyIDs() == [])
        try SQLiteKeyStore(path: path).insert(SampleKeys.make(count: 1, blockID: 2))
        #expect(try await store.availableBits(in: .all) == 256)
    }

    @Test func deliveriesSurviveReopeningTheFile() async throws {
        let directory = try TemporaryDirectory()
        let (path, _) = try storeFile(in: directory, count: 2)
        let master = try await SQLiteKeyDeliveryStore(path: path).takeForMaster(count: 2, sizeBits: 256, pair: pair)
        let reopened = try SQLiteKeyDeliveryStore(path: path)
        #expect(try await reopened.availableBits(in: .all) == 0)
        #expect(try await reopened.takeForSlave(ids: master.map(\.id), pair: pair) == master)
    }

    /// The status counters (`kme_pool`) follow every writer of the file: keys inserted by the
    /// link, removed undelivered through the key store, and rows written by another program.
    @Test func theAvailableBitsFollowEveryWriterOfTheFile() async throws {
        let directory = try TemporaryDirectory()
        let (path, keys) = try storeFile(in: directory, count: 6)
        let store = try SQLiteKeyDeliveryStore(path: path)
        _ = try await store.takeForMaster(count: 1, sizeBits: 256, pair: pair)
        _ = try SQLiteKeyStore(path: path).remove(id: keys[5].id)
        #expect(try await store.availableBits(in: .all) == 4 * 256)
        let added = UUID(uuidString: "5A1B2C3D-0000-4000-8000-00000000000E")!
        let database = try DatabaseQueue(path: path)
        try await database.write { database in
            try database.execute(
                sql: "INSERT INTO keys (id, sequence, block_id, bit_count, material, created_at) VALUES (?, 100, 1, 64, ?, 0)",
                arguments: [added.uuidString, Data(count: 8)])
        }
        #expect(try await store.availableBits(in: .all) == 4 * 256 + 64)
        let even = keys[1..<5].filter { KeyShare.even.contains($0.id) }.count * 256
        #expect(try await store.availableBits(in: .even) == even + (KeyShare.even.contains(added) ? 64 : 0))
        #expect(try await store.availableBits(in: .odd) == 4 * 256 + 64 - store.availableBits(in: .even))
    }
}
