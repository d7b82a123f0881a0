import Foundation
import GRDB
import QKDCore

/// The ``KeyDeliveryStore`` of an SQLite key store file (``SQLiteKeyStore``), the KME's default
/// store: one file in WAL mode that several KME processes may share.
///
/// Every delivery is one `BEGIN IMMEDIATE` transaction, so deliveries are serialised across
/// connections and processes, while status reads run concurrently. The delivery records live in
/// the tables of ``KeyDeliverySchema``; masters take the keys after the highest delivered
/// sequence, so a request costs the same however many keys wait for their slave.
public final class SQLiteKeyDeliveryStore: KeyDeliveryStore {
    /// The path of the SQLite file.
    public let path: String
    private let database: DatabasePool

    /// Opens the key store at `path` (creating it if missing, and upgrading its schema), for
    /// delivery. Throws the errors of ``SQLiteKeyStore/init(path:)``.
    public init(path: String) throws {
        _ = try SQLiteKeyStore(path: path)
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw SQLiteKeyStore.keyStoreError(from: error, path: path, during: "open the file")
        }
    }

    /// The stored key material not yet delivered to any master, in bits.
    public func availableBits() async throws -> Int {
        do {
            return try await database.read { database in
                try Int.fetchOne(
                    database,
                    sql: """
                        SELECT COALESCE(SUM(bit_count), 0) FROM keys
                        WHERE sequence > (SELECT COALESCE(MAX(sequence), 0) FROM kme_delivery_parts)
                        """
                ) ?? 0
            }
        } catch {
            throw SQLiteKeyStore.keyStoreError(from: error, path: path, during: "count undelivered keys")
        }
    }

    /// Takes `count` new keys of `sizeBits` bits for the master of `pair`, in one transaction.
    public func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair) async throws -> [DeliveredKey] {
        try KeyAssembly.validate(count: count, sizeBits: sizeBits)
        let path = path
        return try await immediateTransaction(during: "deliver keys to \(pair.master)") { database in
            let rows = try Row.fetchCursor(
                database,
                sql: """
                    SELECT id, sequence, material FROM keys
                    WHERE sequence > (SELECT COALESCE(MAX(sequence), 0) FROM kme_delivery_parts)
                    ORDER BY sequence
                    """
            )
            var assembly = KeyAssembly(count: count, sizeBits: sizeBits)
            var sequences: [UUID: Int64] = [:]
            while !assembly.isComplete, let row = try rows.next() {
                let text: String = try row.decode(String.self, forColumn: "id")
                guard let id = UUID(uuidString: text) else {
                    throw QKDError(.malformedInput, "key store \(path) holds a key whose id \"\(text)\" is not a UUID")
                }
                sequences[id] = try row.decode(Int64.self, forColumn: "sequence")
                assembly.append(id: id, bytes: [UInt8](try row.decode(Data.self, forColumn: "material")))
            }
            guard assembly.isComplete else {
                throw QKDError(
                    .unavailable,
                    "not enough key material for \(count) keys of \(sizeBits) bits for \(pair)"
                )
            }
            let now = Date().timeIntervalSinceReferenceDate
            for delivery in assembly.deliveries {
                try database.execute(
                    sql: """
                        INSERT INTO kme_deliveries (key_id, master_sae_id, slave_sae_id, size_bits, delivered_at)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [delivery.key.id.uuidString, pair.master, pair.slave, sizeBits, now]
                )
                for (position, storedID) in delivery.storedKeyIDs.enumerated() {
                    try database.execute(
                        sql: "INSERT INTO kme_delivery_parts (stored_key_id, key_id, position, sequence) VALUES (?, ?, ?, ?)",
                        arguments: [storedID.uuidString, delivery.key.id.uuidString, position, sequences[storedID]]
                    )
                }
            }
            return assembly.deliveries.map(\.key)
        }
    }

    /// Takes the keys `ids` for the slave of `pair` and deletes them, in one transaction.
    public func takeForSlave(ids: [UUID], pair: SAEPair) async throws -> [DeliveredKey] {
        let path = path
        return try await immediateTransaction(during: "deliver keys to \(pair.slave)") { database in
            try ids.map { id in
                let sizeBits = try Int.fetchOne(
                    database,
                    sql: "SELECT size_bits FROM kme_deliveries WHERE key_id = ? AND master_sae_id = ? AND slave_sae_id = ?",
                    arguments: [id.uuidString, pair.master, pair.slave]
                )
                guard let sizeBits else {
                    throw QKDError(.notFound, "key ID \(id.uuidString.lowercased()) is unknown to \(pair) or was already delivered")
                }
                let materials = try Data.fetchAll(
                    database,
                    sql: """
                        SELECT keys.material FROM kme_delivery_parts JOIN keys ON keys.id = kme_delivery_parts.stored_key_id
                        WHERE kme_delivery_parts.key_id = ? ORDER BY kme_delivery_parts.position
                        """,
                    arguments: [id.uuidString]
                )
                let bytes = Array(materials.joined().prefix(sizeBits / 8))
                guard bytes.count == sizeBits / 8 else {
                    throw QKDError(.storage, "key store \(path): the stored keys of key \(id) are missing")
                }
                try database.execute(
                    sql: """
                        DELETE FROM keys WHERE id IN (SELECT stored_key_id FROM kme_delivery_parts WHERE key_id = ?);
                        DELETE FROM kme_delivery_parts WHERE key_id = ?;
                        DELETE FROM kme_deliveries WHERE key_id = ?;
                        """,
                    arguments: [id.uuidString, id.uuidString, id.uuidString]
                )
                return DeliveredKey(id: id, bytes: bytes)
            }
        }
    }

    private func immediateTransaction<Value: Sendable>(
        during action: String,
        _ body: @escaping @Sendable (Database) throws -> Value
    ) async throws -> Value {
        let path = path
        do {
            return try await database.writeWithoutTransaction { database in
                var value: Value?
                try database.inTransaction(.immediate) {
                    value = try body(database)
                    return .commit
                }
                return value!
            }
        } catch {
            throw SQLiteKeyStore.keyStoreError(from: error, path: path, during: action)
        }
    }
}
