import Foundation
import GRDB
import QKDCore

/// A key store kept in one SQLite file in WAL journal mode, so that keys survive restarts.
///
/// The file carries `PRAGMA application_id` ``applicationID`` and a schema versioned by GRDB's
/// `DatabaseMigrator` (migrations are recorded in `grdb_migrations`). Schema version 1 is
///
/// ```sql
/// CREATE TABLE keys (
///     id TEXT PRIMARY KEY NOT NULL,       -- UUID, upper-case RFC 4122 text
///     sequence INTEGER NOT NULL UNIQUE,   -- insertion order, 1, 2, 3, ...
///     block_id INTEGER NOT NULL,          -- UInt64 block ID stored as its Int64 bit pattern
///     bit_count INTEGER NOT NULL,         -- always length(material) * 8
///     material BLOB NOT NULL,             -- key bits, most-significant-bit first
///     created_at REAL NOT NULL            -- seconds since 2001-01-01 00:00:00 UTC
/// ) STRICT;
/// CREATE INDEX keys_by_block ON keys(block_id);
/// ```
///
/// Schema version 2 adds the tables of a networked node (see `SQLiteKeyStore+TwoPhaseCommit`):
/// `pending_keys` and `pending_blocks` (Alice's keys of blocks Bob has not yet acknowledged),
/// `authentication_pool` (the bootstrap key at position 0, then each committed block's
/// authentication slice) and `authentication_counters` (one-time-pad counters reserved ahead
/// of use).
///
/// Schema version 3 keeps the total of `bit_count` over `keys` in a one-row table,
/// `key_bit_total (singleton INTEGER PRIMARY KEY CHECK (singleton = 0), bits INTEGER NOT NULL)`,
/// maintained by triggers on every insert, delete and `bit_count` update of `keys` and filled
/// from the keys already stored when a file is upgraded, so `totalBits()` reads one row instead
/// of summing every key (a relay asks it of every link on a route, per request).
///
/// Opening a file refuses, with a `QKDError` naming the path, anything that is not a QKDKit key
/// store: a file that is not an SQLite database, a database with another application ID, a
/// database that already has tables but no QKDKit marker, or a store written by a newer schema.
/// Only an empty or missing file is turned into a new store.
public final class SQLiteKeyStore: KeyStore {
    /// The `PRAGMA application_id` that marks an SQLite file as a QKDKit key store (ASCII "QKDK").
    public static let applicationID: Int32 = 0x514B_444B

    /// The path of the SQLite file.
    public let path: String
    let database: DatabaseQueue

    /// Opens the key store at `path`, creating the file if it does not exist.
    ///
    /// Throws `QKDError` `.malformedInput` if the file is not a QKDKit key store and `.storage`
    /// if it cannot be opened or written.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Self.keyStoreError(from: error, path: path, during: "open the file")
        }
        try claimFileAsKeyStore()
        try migrateSchema()
        try switchToWriteAheadLog()
    }

    /// Adds `keys` in one transaction; throws `QKDError` `.invalidParameter` and adds nothing if
    /// an identifier is already stored or repeated within `keys`.
    public func insert(_ keys: [StoredKey]) throws {
        try write(during: "insert keys") { database in
            let lastSequence = try Int64.fetchOne(database, sql: "SELECT COALESCE(MAX(sequence), 0) FROM keys") ?? 0
            for (offset, key) in keys.enumerated() {
                do {
                    try database.execute(
                        sql: """
                            INSERT INTO keys (id, sequence, block_id, bit_count, material, created_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            key.id.uuidString,
                            lastSequence + Int64(offset) + 1,
                            Int64(bitPattern: key.blockID),
                            key.bitCount,
                            Data(key.bytes),
                            key.createdAt.timeIntervalSinceReferenceDate,
                        ]
                    )
                } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                    throw QKDError(
                        .invalidParameter,
                        "key store \(path): key \(key.id) is already stored or repeated; none of the \(keys.count) keys were inserted"
                    )
                }
            }
        }
    }

    /// The key with identifier `id`, or nil if the store does not hold it.
    public func key(id: UUID) throws -> StoredKey? {
        try read(during: "read key \(id)") { database in
            let row = try Row.fetchOne(database, sql: "\(Self.selectKeyColumns) WHERE id = ?", arguments: [id.uuidString])
            return try row.map { try storedKey(from: $0) }
        }
    }

    /// The identifiers of all stored keys, oldest insertion first.
    public func keyIDs() throws -> [UUID] {
        try read(during: "list key IDs") { database in
            try String.fetchAll(database, sql: "SELECT id FROM keys ORDER BY sequence").map { try uuid(from: $0) }
        }
    }

    /// The oldest stored keys holding at least `bitCount` bits (all if they hold fewer), read in
    /// `sequence` order through the column's unique index: O(log n) to the first key, then one
    /// row per key returned, however many keys the store holds.
    public func oldestKeys(holdingAtLeast bitCount: Int) throws -> [StoredKey] {
        try read(during: "read the oldest keys") { database in
            let rows = try Row.fetchCursor(database, sql: "\(Self.selectKeyColumns) ORDER BY sequence")
            var keys: [StoredKey] = []
            var bits = 0
            while bits < bitCount, let row = try rows.next() {
                let key = try storedKey(from: row)
                keys.append(key)
                bits += key.bitCount
            }
            return keys
        }
    }

    /// The number of stored keys.
    public func count() throws -> Int {
        try read(during: "count keys") { database in
            try Int.fetchOne(database, sql: "SELECT COUNT(*) FROM keys") ?? 0
        }
    }

    /// The total length of all stored keys, in bits (kept by the schema's triggers).
    public func totalBits() throws -> Int {
        try read(during: "read the total key length") { database in
            try Int.fetchOne(database, sql: "SELECT bits FROM key_bit_total") ?? 0
        }
    }

    /// Deletes the key with identifier `id` and returns it, or returns nil if absent.
    public func remove(id: UUID) throws -> StoredKey? {
        try write(during: "remove key \(id)") { database in
            let row = try Row.fetchOne(database, sql: "\(Self.selectKeyColumns) WHERE id = ?", arguments: [id.uuidString])
            guard let row else { return nil }
            let key = try storedKey(from: row)
            try database.execute(sql: "DELETE FROM keys WHERE id = ?", arguments: [id.uuidString])
            return key
        }
    }

    /// The distinct distillation blocks that stored keys came from, in ascending order.
    public func blockIDs() throws -> [UInt64] {
        try read(during: "list block IDs") { database in
            // Sorted here, not in SQL: block IDs above Int64.max are stored as negative integers.
            try Int64.fetchAll(database, sql: "SELECT DISTINCT block_id FROM keys")
                .map { UInt64(bitPattern: $0) }
                .sorted()
        }
    }

    // MARK: - Opening

    private static let selectKeyColumns = "SELECT id, block_id, material, created_at FROM keys"

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: keys") { database in
            try database.execute(
                sql: """
                    CREATE TABLE keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        sequence INTEGER NOT NULL UNIQUE,
                        block_id INTEGER NOT NULL,
                        bit_count INTEGER NOT NULL CHECK (bit_count = length(material) * 8),
                        material BLOB NOT NULL,
                        created_at REAL NOT NULL
                    ) STRICT;
                    CREATE INDEX keys_by_block ON keys(block_id);
                    """
            )
        }
        migrator.registerMigration("v2: two-phase commit and authentication pool") { database in
            try database.execute(
                sql: """
                    CREATE TABLE pending_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        position INTEGER NOT NULL,
                        block_id INTEGER NOT NULL,
                        material BLOB NOT NULL,
                        created_at REAL NOT NULL
                    ) STRICT;
                    CREATE TABLE pending_blocks (
                        block_id INTEGER PRIMARY KEY NOT NULL,
                        authentication_slice BLOB NOT NULL
                    ) STRICT;
                    CREATE TABLE authentication_pool (
                        position INTEGER PRIMARY KEY NOT NULL,
                        block_id INTEGER,
                        material BLOB NOT NULL
                    ) STRICT;
                    CREATE TABLE authentication_counters (
                        name TEXT PRIMARY KEY NOT NULL,
                        value INTEGER NOT NULL
                    ) STRICT;
                    """
            )
        }
        KeyDeliverySchema.register(in: &migrator)
        migrator.registerMigration("v3: total key bits kept by triggers") { database in
            try database.execute(
                sql: """
                    CREATE TABLE key_bit_total (
                        singleton INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 0),
                        bits INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO key_bit_total (singleton, bits) VALUES (0, (SELECT COALESCE(SUM(bit_count), 0) FROM keys));
                    CREATE TRIGGER key_bit_total_after_insert AFTER INSERT ON keys
                    BEGIN UPDATE key_bit_total SET bits = bits + NEW.bit_count; END;
                    CREATE TRIGGER key_bit_total_after_delete AFTER DELETE ON keys
                    BEGIN UPDATE key_bit_total SET bits = bits - OLD.bit_count; END;
                    CREATE TRIGGER key_bit_total_after_update AFTER UPDATE OF bit_count ON keys
                    BEGIN UPDATE key_bit_total SET bits = bits - OLD.bit_count + NEW.bit_count; END;
                    """
            )
        }
        return migrator
    }

    /// Checks that the file is a QKDKit key store, or empty, in which case it marks it as one.
    private func claimFileAsKeyStore() throws {
        try write(during: "check the file's format") { database in
            let fileApplicationID = try Int32.fetchOne(database, sql: "PRAGMA application_id") ?? 0
            if fileApplicationID == Self.applicationID {
                guard try !Self.migrator.hasBeenSuperseded(database) else {
                    throw QKDError(
                        .malformedInput,
                        "key store \(path) was written by a newer QKDKit (its schema has unknown migrations)"
                    )
                }
                return
            }
            guard fileApplicationID == 0 else {
                throw QKDError(
                    .malformedInput,
                    "key store \(path) is not a QKDKit key store (it belongs to another application, application_id \(fileApplicationID))"
                )
            }
            let isEmpty = try Int.fetchOne(database, sql: "SELECT COUNT(*) FROM sqlite_master") == 0
            guard isEmpty else {
                throw QKDError(
                    .malformedInput,
                    "key store \(path) is not a QKDKit key store (it already holds other tables and no QKDKit marker)"
                )
            }
            try database.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
        }
    }

    private func migrateSchema() throws {
        do {
            try Self.migrator.migrate(database)
        } catch {
            throw Self.keyStoreError(from: error, path: path, during: "create or upgrade the schema")
        }
    }

    private func switchToWriteAheadLog() throws {
        let journalMode = try writeOutsideTransaction(during: "switch to WAL journal mode") { database in
            try String.fetchOne(database, sql: "PRAGMA journal_mode = WAL")
        }
        guard journalMode == "wal" else {
            throw QKDError(
                .storage,
                "key store \(path): could not switch to WAL journal mode (SQLite kept \(journalMode ?? "no mode"))"
            )
        }
    }

    // MARK: - Rows

    private func storedKey(from row: Row) throws -> StoredKey {
        let material = try row.decode(Data.self, forColumn: "material")
        return StoredKey(
            id: try uuid(from: try row.decode(String.self, forColumn: "id")),
            bytes: [UInt8](material),
            blockID: UInt64(bitPattern: try row.decode(Int64.self, forColumn: "block_id")),
            createdAt: Date(timeIntervalSinceReferenceDate: try row.decode(Double.self, forColumn: "created_at"))
        )
    }

    private func uuid(from text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw QKDError(.malformedInput, "key store \(path) holds a key whose id \"\(text)\" is not a UUID")
        }
        return id
    }

    // MARK: - Error translation

    func read<Value>(during action: String, _ body: (Database) throws -> Value) throws -> Value {
        do {
            return try database.read(body)
        } catch {
            throw Self.keyStoreError(from: error, path: path, during: action)
        }
    }

    func write<Value>(during action: String, _ body: (Database) throws -> Value) throws -> Value {
        do {
            return try database.write(body)
        } catch {
            throw Self.keyStoreError(from: error, path: path, during: action)
        }
    }

    private func writeOutsideTransaction<Value>(
        during action: String,
        _ body: (Database) throws -> Value
    ) throws -> Value {
        do {
            return try database.writeWithoutTransaction(body)
        } catch {
            throw Self.keyStoreError(from: error, path: path, during: action)
        }
    }

    /// Turns any error met while `action` ran into a one-line `QKDError` naming the file.
    ///
    /// Only SQLite's own message is kept, never GRDB's description, which may quote SQL arguments
    /// (key material).
    static func keyStoreError(from error: any Error, path: String, during action: String) -> QKDError {
        switch error {
        case let error as QKDError:
            return error
        case let error as DatabaseError:
            let detail = error.message ?? "SQLite result code \(error.resultCode.rawValue)"
            switch error.resultCode {
            case .SQLITE_NOTADB:
                return QKDError(.malformedInput, "key store \(path) is not a QKDKit key store (\(detail))")
            case .SQLITE_CORRUPT:
                return QKDError(.malformedInput, "key store \(path) is corrupt (\(detail))")
            default:
                return QKDError(.storage, "key store \(path): could not \(action) (\(detail))")
            }
        case is RowDecodingError:
            return QKDError(.malformedInput, "key store \(path) holds a key row that does not match its schema")
        default:
            return QKDError(.storage, "key store \(path): could not \(action) (\(type(of: error)))")
        }
    }
}
