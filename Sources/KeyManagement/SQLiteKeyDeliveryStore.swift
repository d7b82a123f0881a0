import Foundation
import GRDB
import QKDCore

/// The ``KeyDeliveryStore`` of an SQLite key store file (``SQLiteKeyStore``), the KME's default
/// store: one file in WAL mode that several KME processes may share.
///
/// Every delivery is one `BEGIN IMMEDIATE` transaction, so deliveries are serialised across
/// connections and processes, while status reads run concurrently. The delivery records live in
/// the tables of ``KeyDeliverySchema``; masters take the keys after the highest delivered
/// sequence, so a request costs the same however many keys wait for their slave. (A store used
/// for peer deliveries, where each end of the link has its own KME, finds the keys of its share
/// through the index `keys_by_share` instead.)
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

    /// The stored key material of `share` not yet delivered to any master, in bits: read from the
    /// counters of ``KeyDeliverySchema`` (`kme_pool`), so it costs the same however many keys
    /// the store holds.
    public func availableBits(in share: KeyShare) async throws -> Int {
        do {
            return try await database.read { database in
                try Int.fetchOne(
                    database,
                    sql: "SELECT COALESCE(SUM(undelivered_bits), 0) FROM kme_pool WHERE ? IS NULL OR parity = ?",
                    arguments: [KeyDeliverySchema.parityValue(share), KeyDeliverySchema.parityValue(share)]
                ) ?? 0
            }
        } catch {
            throw SQLiteKeyStore.keyStoreError(from: error, path: path, during: "count undelivered keys")
        }
    }

    /// Takes `count` new keys of `sizeBits` bits for the master of `pair` (and for its slave and
    /// `additionalSlaves`), in one transaction.
    public func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair, additionalSlaves: [String]) async throws -> [DeliveredKey] {
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
            for delivery in assembly.deliveries {
                try Self.insertDelivery(delivery.key.id, sizeBits: sizeBits, pair: pair, additionalSlaves: additionalSlaves, database: database)
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

    /// Takes the keys `ids` for the slave of `pair`, and deletes those it was the last slave of, in
    /// one transaction.
    public func takeForSlave(ids: [UUID], pair: SAEPair) async throws -> [DeliveredKey] {
        let path = path
        return try await immediateTransaction(during: "deliver keys to \(pair.slave)") { database in
            try ids.map { id in
                let sizeBits = try Int.fetchOne(
                    database,
                    sql: """
                        SELECT d.size_bits FROM kme_deliveries d JOIN kme_delivery_slaves s ON s.key_id = d.key_id
                        WHERE d.key_id = ? AND d.master_sae_id = ? AND s.slave_sae_id = ?
                        """,
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
                    sql: "DELETE FROM kme_delivery_slaves WHERE key_id = ? AND slave_sae_id = ?",
                    arguments: [id.uuidString, pair.slave]
                )
                let slavesLeft = try Bool.fetchOne(
                    database, sql: "SELECT EXISTS (SELECT 1 FROM kme_delivery_slaves WHERE key_id = ?)", arguments: [id.uuidString]
                ) ?? false
                if !slavesLeft {
                    try database.execute(
                        sql: """
                            DELETE FROM keys WHERE id IN (SELECT stored_key_id FROM kme_delivery_parts WHERE key_id = ?);
                            DELETE FROM kme_delivery_parts WHERE key_id = ?;
                            DELETE FROM kme_deliveries WHERE key_id = ?;
                            """,
                        arguments: [id.uuidString, id.uuidString, id.uuidString]
                    )
                }
                return DeliveredKey(id: id, bytes: bytes)
            }
        }
    }

    /// Takes `count` keys of `sizeBits` bits from `share` and deletes them, in one transaction.
    public func takeForPeerDelivery(count: Int, sizeBits: Int, share: KeyShare) async throws -> [KeyAssembly.Delivery] {
        try KeyAssembly.validate(count: count, sizeBits: sizeBits)
        let path = path
        // Spelled as the index `keys_by_share` is, so that SQLite walks it in sequence order.
        let inShare = KeyDeliverySchema.parityValue(share).map { "\(KeyDeliverySchema.parity(of: "id")) = \($0)" } ?? "1"
        return try await immediateTransaction(during: "take keys for the peer KME") { database in
            let rows = try Row.fetchCursor(
                database,
                sql: """
                    SELECT id, material FROM keys
                    WHERE \(inShare) AND NOT EXISTS (SELECT 1 FROM kme_delivery_parts WHERE stored_key_id = keys.id)
                    ORDER BY sequence
                    """
            )
            var assembly = KeyAssembly(count: count, sizeBits: sizeBits)
            while !assembly.isComplete, let row = try rows.next() {
                let text: String = try row.decode(String.self, forColumn: "id")
                guard let id = UUID(uuidString: text) else {
                    throw QKDError(.malformedInput, "key store \(path) holds a key whose id \"\(text)\" is not a UUID")
                }
                assembly.append(id: id, bytes: [UInt8](try row.decode(Data.self, forColumn: "material")))
            }
            guard assembly.isComplete else {
                throw QKDError(.unavailable, "not enough key material for \(count) keys of \(sizeBits) bits in the \(share) share")
            }
            for storedID in assembly.deliveries.flatMap(\.storedKeyIDs) {
                try database.execute(sql: "DELETE FROM keys WHERE id = ?", arguments: [storedID.uuidString])
            }
            return assembly.deliveries
        }
    }

    /// Records the peer KME's deliveries to the master of `pair` (replaced by what `derive` makes
    /// of them, if given), in one transaction.
    public func recordPeerDelivery(
        _ reservations: [KeyReservation], sizeBits: Int, pair: SAEPair, additionalSlaves: [String], peerShare: KeyShare,
        deriving derive: (@Sendable (DeliveredKey) throws -> DeliveredKey)?
    ) async throws {
        try KeyAssembly.validate(count: max(reservations.count, 1), sizeBits: sizeBits)
        try await immediateTransaction(during: "record the peer KME's deliveries to \(pair.master)") { database in
            for reservation in reservations {
                try KeyAssembly.check(reservation, sizeBits: sizeBits, peerShare: peerShare) { storedID in
                    try Row.fetchOne(
                        database,
                        sql: """
                            SELECT bit_count, EXISTS (SELECT 1 FROM kme_delivery_parts WHERE stored_key_id = keys.id) AS delivered
                            FROM keys WHERE id = ?
                            """,
                        arguments: [storedID.uuidString]
                    ).map { row in (bitCount: row["bit_count"] as Int, delivered: row["delivered"] as Bool) }
                }
                try Self.insertDelivery(reservation.keyID, sizeBits: sizeBits, pair: pair, additionalSlaves: additionalSlaves, database: database)
                for (position, storedID) in reservation.storedKeyIDs.enumerated() {
                    try database.execute(
                        sql: """
                            INSERT INTO kme_delivery_parts (stored_key_id, key_id, position, sequence)
                            SELECT id, ?, ?, sequence FROM keys WHERE id = ?
                            """,
                        arguments: [reservation.keyID.uuidString, position, storedID.uuidString]
                    )
                }
                if let derive {
                    let materials = try reservation.storedKeyIDs.map { storedID in
                        [UInt8](try Data.fetchOne(database, sql: "SELECT material FROM keys WHERE id = ?", arguments: [storedID.uuidString]) ?? Data())
                    }
                    let replaced = try KeyAssembly.replacing(keyID: reservation.keyID, sizeBits: sizeBits, materials: materials, with: derive)
                    for (storedID, material) in zip(reservation.storedKeyIDs, replaced) {
                        try database.execute(
                            sql: "UPDATE keys SET material = ? WHERE id = ?", arguments: [Data(material), storedID.uuidString])
                    }
                }
            }
        }
    }

    /// Inserts the delivery record of key `keyID` and its slaves: the pair's and `additionalSlaves`.
    private static func insertDelivery(_ keyID: UUID, sizeBits: Int, pair: SAEPair, additionalSlaves: [String], database: Database) throws {
        try database.execute(
            sql: "INSERT INTO kme_deliveries (key_id, master_sae_id, slave_sae_id, size_bits, delivered_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [keyID.uuidString, pair.master, pair.slave, sizeBits, Date().timeIntervalSinceReferenceDate]
        )
        for slave in Set([pair.slave] + additionalSlaves) {
            try database.execute(
                sql: "INSERT INTO kme_delivery_slaves (key_id, slave_sae_id) VALUES (?, ?)",
                arguments: [keyID.uuidString, slave]
            )
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
