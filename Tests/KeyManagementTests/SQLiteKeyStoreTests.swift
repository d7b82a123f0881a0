import Foundation
import GRDB
import KeyManagement
import QKDCore
import Testing

/// File-specific behaviour of `SQLiteKeyStore`; the `KeyStore` contract is in
/// `KeyStoreBehaviourTests`.
@Suite("SQLiteKeyStore")
struct SQLiteKeyStoreTests {
    @Test func reopenedFileHoldsTheSameKeysInOrder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keys.sqlite")
        let keys = SampleKeys.make(count: 4, blockID: 3) + SampleKeys.make(count: 2, blockID: 1, byteCount: 8)
        do {
            let store = try SQLiteKeyStore(path: path)
            try store.insert(keys)
            _ = try store.remove(id: keys[0].id)
        }

        let reopened = try SQLiteKeyStore(path: path)
        #expect(reopened.path == path)
        #expect(try reopened.keyIDs() == keys.dropFirst().map(\.id))
        for key in keys.dropFirst() {
            #expect(try reopened.key(id: key.id) == key)
        }
        #expect(try reopened.totalBits() == 3 * 256 + 2 * 64)
        #expect(try reopened.blockIDs() == [1, 3])
    }

    /// The total is kept by triggers, so it must follow inserts and removals through any path,
    /// and a file written before the total existed (schema 2: the total's migration not yet
    /// recorded, its table and triggers absent) must get the sum of the keys it already holds.
    @Test func theKeptTotalFollowsTheKeysAndIsFilledOnUpgrade() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keys.sqlite")
        let keys = SampleKeys.make(count: 5, blockID: 2) + SampleKeys.make(count: 3, blockID: 4, byteCount: 8)
        do {
            let store = try SQLiteKeyStore(path: path)
            try store.insert(keys)
            _ = try store.remove(id: keys[1].id)
            #expect(try store.totalBits() == 4 * 256 + 3 * 64)
        }
        try DatabaseQueue(path: path).write { database in
            // Raw SQL bypasses the store's API: the triggers must still keep the total.
            try database.execute(sql: "DELETE FROM keys WHERE bit_count = 64")
            #expect(try Int.fetchOne(database, sql: "SELECT bits FROM key_bit_total") == 4 * 256)
            // Back to schema 2.
            try database.execute(
                sql: """
                    DROP TRIGGER key_bit_total_after_insert; DROP TRIGGER key_bit_total_after_delete;
                    DROP TRIGGER key_bit_total_after_update; DROP TABLE key_bit_total;
                    DELETE FROM grdb_migrations WHERE identifier LIKE 'v3:%';
                    """)
        }
        let upgraded = try SQLiteKeyStore(path: path)
        #expect(try upgraded.totalBits() == 4 * 256)
        try upgraded.insert(SampleKeys.make(count: 1, blockID: 9, byteCount: 16))
        #expect(try upgraded.totalBits() == 4 * 256 + 128)
    }

    @Test func fileIsInWriteAheadLogMode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keys.sqlite")
        _ = try SQLiteKeyStore(path: path)

        let journalMode = try DatabaseQueue(path: path).read { database in
            try String.fetchOne(database, sql: "PRAGMA journal_mode")
        }
        #expect(journalMode == "wal")
    }

    @Test func fileCarriesTheMarkerAndTheKeysTable() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keys.sqlite")
        _ = try SQLiteKeyStore(path: path)

        let (applicationID, columns) = try DatabaseQueue(path: path).read { database in
            (
                try Int32.fetchOne(database, sql: "PRAGMA application_id"),
                try String.fetchAll(database, sql: "SELECT name FROM pragma_table_info('keys') ORDER BY cid")
            )
        }
        #expect(applicationID == SQLiteKeyStore.applicationID)
        #expect(columns == ["id", "sequence", "block_id", "bit_count", "material", "created_at"])
    }

    @Test func emptyFileBecomesAKeyStore() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("empty.sqlite")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))

        let store = try SQLiteKeyStore(path: path)
        try store.insert(SampleKeys.make(count: 1, blockID: 0))
        #expect(try store.count() == 1)
    }

    @Test func garbageFileIsRefusedAndLeftUntouched() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("garbage.sqlite")
        var generator = SeededGenerator(seed: 42)
        let garbage = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(FileManager.default.createFile(atPath: path, contents: garbage))

        let error = try #require(throws: QKDError.self) { try SQLiteKeyStore(path: path) }
        #expect(error.code == .malformedInput)
        #expect(error.message.contains(path))
        #expect(error.message.contains("not a QKDKit key store"))
        #expect(FileManager.default.contents(atPath: path) == garbage)
    }

    @Test func foreignDatabaseIsRefusedAndLeftUntouched() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("foreign.sqlite")
        try DatabaseQueue(path: path).write { database in
            try database.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
            try database.execute(sql: "INSERT INTO notes (text) VALUES ('keep me')")
        }

        let error = try #require(throws: QKDError.self) { try SQLiteKeyStore(path: path) }
        #expect(error.code == .malformedInput)
        #expect(error.message.contains(path))
        #expect(error.message.contains("no QKDKit marker"))

        let (tables, journalMode) = try DatabaseQueue(path: path).read { database in
            (
                try String.fetchAll(database, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
                try String.fetchOne(database, sql: "PRAGMA journal_mode")
            )
        }
        #expect(tables == ["notes"])
        #expect(journalMode == "delete")
    }

    @Test func databaseOfAnotherApplicationIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("other-app.sqlite")
        try DatabaseQueue(path: path).writeWithoutTransaction { database in
            try database.execute(sql: "PRAGMA application_id = 42")
        }

        let error = try #require(throws: QKDError.self) { try SQLiteKeyStore(path: path) }
        #expect(error.code == .malformedInput)
        #expect(error.message.contains(path))
        #expect(error.message.contains("application_id 42"))
    }

    @Test func storeWithANewerSchemaIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("keys.sqlite")
        _ = try SQLiteKeyStore(path: path)
        try DatabaseQueue(path: path).write { database in
            try database.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2: from the future')")
        }

        let error = try #require(throws: QKDError.self) { try SQLiteKeyStore(path: path) }
        #expect(error.code == .malformedInput)
        #expect(error.message.contains(path))
        #expect(error.message.contains("newer QKDKit"))
    }

    @Test func fileInAMissingDirectoryIsAStorageError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("no-such-directory/keys.sqlite")

        let error = try #require(throws: QKDError.self) { try SQLiteKeyStore(path: path) }
        #expect(error.code == .storage)
        #expect(error.message.contains(path))
    }
}
