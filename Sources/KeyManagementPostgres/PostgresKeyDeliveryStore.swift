import Foundation
import KeyManagement
import Logging
import PostgresNIO
import QKDCore

/// The ``KeyDeliveryStore`` on PostgreSQL (postgres-nio), for several KME instances behind a load
/// balancer sharing one database.
///
/// The tables live in one PostgreSQL schema (``schema``), created by ``prepare()``:
///
/// ```sql
/// CREATE TABLE qkd_keys (id UUID PRIMARY KEY, sequence BIGSERIAL UNIQUE, block_id BIGINT,
///                        material BYTEA, created_at DOUBLE PRECISION);
/// CREATE TABLE qkd_deliveries (key_id UUID PRIMARY KEY, master_sae_id TEXT, slave_sae_id TEXT,
///                              size_bits INTEGER, delivered_at DOUBLE PRECISION);
/// CREATE TABLE qkd_delivery_parts (stored_key_id UUID PRIMARY KEY REFERENCES qkd_keys ON DELETE CASCADE,
///                                  key_id UUID REFERENCES qkd_deliveries ON DELETE CASCADE, position INTEGER,
///                                  sequence BIGINT UNIQUE);
/// CREATE TABLE qkd_delivery_slaves (key_id UUID REFERENCES qkd_deliveries ON DELETE CASCADE,
///                                   slave_sae_id TEXT, PRIMARY KEY (key_id, slave_sae_id));  -- slaves still to serve
/// ```
///
/// Master deliveries and inserts take one transaction-scoped advisory lock, so they are
/// serialised across every KME sharing the database: two deliveries never pick the same stored
/// key, and keys become visible in `sequence` order, so masters take the keys after the highest
/// delivered sequence without scanning those waiting for their slave. Slave deliveries lock their
/// delivery row (`FOR UPDATE`), so a key ID is answered once. Peer deliveries (each end of the
/// link with its own KME, see ``KeyDeliveryStore``) take the same lock. Each call is one
/// transaction.
public final class PostgresKeyDeliveryStore: KeyDeliveryStore {
    /// The PostgreSQL schema holding the tables.
    public let schema: String
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger = Logger(label: "qkd-postgres-store")
    private let place: String

    /// A store in `schema` of the database at `url` (`postgres://user:password@host:port/database`,
    /// without TLS: for a database on the same host or network). Call ``prepare()`` before use.
    ///
    /// Throws `QKDError` `.invalidParameter` if the URL or the schema name is malformed.
    public init(url: String, schema: String = "public") throws {
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, let user = components.user
        else {
            throw QKDError(.invalidParameter, "\"\(Self.redacted(url))\" is not a postgres://user:password@host:port/database URL")
        }
        guard schema.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
            throw QKDError(.invalidParameter, "PostgreSQL schema name \"\(schema)\" is not a plain identifier")
        }
        self.schema = schema
        let database = components.path.isEmpty ? nil : String(components.path.dropFirst())
        place = "PostgreSQL key store \(host):\(components.port ?? 5432)/\(database ?? user) schema \(schema)"
        client = PostgresClient(configuration: .init(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database, tls: .disable))
        let client = client
        runTask = Task { await client.run() }
    }

    deinit {
        runTask.cancel()
    }

    /// Creates the schema and tables if they do not exist.
    public func prepare() async throws {
        try await transaction(during: "create the tables") { connection, logger in
            try await connection.query("SELECT pg_advisory_xact_lock(7305001)", logger: logger)
            try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: self.schema)", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS \(unescaped: self.schema).qkd_keys (
                    id UUID PRIMARY KEY, sequence BIGSERIAL NOT NULL UNIQUE, block_id BIGINT NOT NULL,
                    material BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL)
                """, logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS \(unescaped: self.schema).qkd_deliveries (
                    key_id UUID PRIMARY KEY, master_sae_id TEXT NOT NULL, slave_sae_id TEXT NOT NULL,
                    size_bits INTEGER NOT NULL CHECK (size_bits > 0 AND size_bits % 8 = 0),
                    delivered_at DOUBLE PRECISION NOT NULL)
                """, logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS \(unescaped: self.schema).qkd_delivery_parts (
                    stored_key_id UUID PRIMARY KEY REFERENCES \(unescaped: self.schema).qkd_keys (id) ON DELETE CASCADE,
                    key_id UUID NOT NULL REFERENCES \(unescaped: self.schema).qkd_deliveries (key_id) ON DELETE CASCADE,
                    position INTEGER NOT NULL, sequence BIGINT NOT NULL UNIQUE)
                """, logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS \(unescaped: self.schema).qkd_delivery_slaves (
                    key_id UUID NOT NULL REFERENCES \(unescaped: self.schema).qkd_deliveries (key_id) ON DELETE CASCADE,
                    slave_sae_id TEXT NOT NULL, PRIMARY KEY (key_id, slave_sae_id))
                """, logger: logger)
            // Deliveries recorded before qkd_delivery_slaves existed have no slave row: their slave.
            try await connection.query("""
                INSERT INTO \(unescaped: self.schema).qkd_delivery_slaves (key_id, slave_sae_id)
                SELECT d.key_id, d.slave_sae_id FROM \(unescaped: self.schema).qkd_deliveries d
                WHERE NOT EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_slaves s WHERE s.key_id = d.key_id)
                """, logger: logger)
        }
    }

    /// Deletes the schema and everything in it (for tests and for retiring a store).
    public func dropSchema() async throws {
        _ = try await transaction(during: "drop schema \(schema)") { connection, logger in
            try await connection.query("DROP SCHEMA IF EXISTS \(unescaped: self.schema) CASCADE", logger: logger)
        }
    }

    /// Adds `keys` in one transaction, oldest first.
    public func insert(_ keys: [StoredKey]) async throws {
        let ids = keys.map(\.id)
        let blocks = keys.map { Int64(bitPattern: $0.blockID) }
        let materials = keys.map { ByteBuffer(bytes: $0.bytes) }
        let times = keys.map { $0.createdAt.timeIntervalSinceReferenceDate }
        try await transaction(during: "insert keys") { connection, logger in
            try await connection.query("SELECT pg_advisory_xact_lock(7305002)", logger: logger)
            try await connection.query("""
                INSERT INTO \(unescaped: self.schema).qkd_keys (id, block_id, material, created_at)
                SELECT id, block_id, material, created_at
                FROM unnest(\(ids)::uuid[], \(blocks)::bigint[], \(materials)::bytea[], \(times)::float8[])
                    WITH ORDINALITY AS rows(id, block_id, material, created_at, position)
                ORDER BY position
                """, logger: logger)
        }
    }

    /// The stored key material of `share` not yet delivered to any master, in bits.
    public func availableBits(in share: KeyShare) async throws -> Int {
        try await transaction(during: "count undelivered keys") { connection, logger in
            let rows: PostgresRowSequence
            if let parity = Self.parity(share) {
                rows = try await connection.query("""
                    SELECT COALESCE(SUM(octet_length(material)), 0)::bigint * 8 FROM \(unescaped: self.schema).qkd_keys k
                    WHERE \(unescaped: Self.parityOfID) = \(parity)
                      AND NOT EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_parts p WHERE p.stored_key_id = k.id)
                    """, logger: logger)
            } else {
                rows = try await connection.query("""
                    SELECT COALESCE(SUM(octet_length(material)), 0)::bigint * 8 FROM \(unescaped: self.schema).qkd_keys
                    WHERE sequence > (SELECT COALESCE(MAX(sequence), 0) FROM \(unescaped: self.schema).qkd_delivery_parts)
                    """, logger: logger)
            }
            var total = 0
            for try await bits in rows.decode(Int.self) { total = bits }
            return total
        }
    }

    /// Takes `count` new keys of `sizeBits` bits for the master of `pair`, in one transaction.
    public func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair, additionalSlaves: [String]) async throws -> [DeliveredKey] {
        try KeyAssembly.validate(count: count, sizeBits: sizeBits)
        return try await transaction(during: "deliver keys to \(pair.master)") { connection, logger in
            try await connection.query("SELECT pg_advisory_xact_lock(7305002)", logger: logger)
            var assembly = KeyAssembly(count: count, sizeBits: sizeBits)
            var sequences: [UUID: Int64] = [:]
            // Stored keys are 256 bits unless the link was set up otherwise; then fetch them all.
            for limit in [count * ((sizeBits + 255) / 256), Int.max] where !assembly.isComplete {
                assembly = KeyAssembly(count: count, sizeBits: sizeBits)
                let rows = try await connection.query("""
                    SELECT id, sequence, material FROM \(unescaped: self.schema).qkd_keys
                    WHERE sequence > (SELECT COALESCE(MAX(sequence), 0) FROM \(unescaped: self.schema).qkd_delivery_parts)
                    ORDER BY sequence LIMIT \(limit == Int.max ? Int64.max : Int64(limit))
                    """, logger: logger)
                for try await (id, sequence, material) in rows.decode((UUID, Int64, ByteBuffer).self) where !assembly.isComplete {
                    sequences[id] = sequence
                    assembly.append(id: id, bytes: Array(material.readableBytesView))
                }
            }
            guard assembly.isComplete else {
                throw QKDError(.unavailable, "not enough key material for \(count) keys of \(sizeBits) bits for \(pair)")
            }
            let deliveries = assembly.deliveries
            let keyIDs = deliveries.map(\.key.id)
            let parts = deliveries.flatMap { delivery in
                delivery.storedKeyIDs.enumerated().map { (delivery.key.id, $0.element, $0.offset, sequences[$0.element] ?? 0) }
            }
            let now = Date().timeIntervalSinceReferenceDate
            try await connection.query("""
                INSERT INTO \(unescaped: self.schema).qkd_deliveries (key_id, master_sae_id, slave_sae_id, size_bits, delivered_at)
                SELECT unnest(\(keyIDs)::uuid[]), \(pair.master), \(pair.slave), \(sizeBits), \(now)
                """, logger: logger)
            try await self.insertSlaves(of: keyIDs, pair: pair, additionalSlaves: additionalSlaves, connection: connection, logger: logger)
            try await connection.query("""
                INSERT INTO \(unescaped: self.schema).qkd_delivery_parts (stored_key_id, key_id, position, sequence)
                SELECT * FROM unnest(\(parts.map(\.1))::uuid[], \(parts.map(\.0))::uuid[], \(parts.map(\.2))::int[], \(parts.map(\.3))::bigint[])
                """, logger: logger)
            return deliveries.map(\.key)
        }
    }

    /// Takes the keys `ids` for the slave of `pair` and deletes them, in one transaction.
    public func takeForSlave(ids: [UUID], pair: SAEPair) async throws -> [DeliveredKey] {
        let place = place
        return try await transaction(during: "deliver keys to \(pair.slave)") { connection, logger in
            var keys: [DeliveredKey] = []
            for id in ids {
                let sizes = try await connection.query("""
                    SELECT d.size_bits FROM \(unescaped: self.schema).qkd_deliveries d
                    WHERE d.key_id = \(id) AND d.master_sae_id = \(pair.master)
                      AND EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_slaves s
                                  WHERE s.key_id = d.key_id AND s.slave_sae_id = \(pair.slave))
                    FOR UPDATE OF d
                    """, logger: logger)
                var sizeBits: Int?
                for try await size in sizes.decode(Int.self) { sizeBits = size }
                guard let sizeBits else {
                    throw QKDError(.notFound, "key ID \(id.uuidString.lowercased()) is unknown to \(pair) or was already delivered")
                }
                let materials = try await connection.query("""
                    SELECT k.material FROM \(unescaped: self.schema).qkd_delivery_parts p
                    JOIN \(unescaped: self.schema).qkd_keys k ON k.id = p.stored_key_id
                    WHERE p.key_id = \(id) ORDER BY p.position
                    """, logger: logger)
                var bytes: [UInt8] = []
                for try await material in materials.decode(ByteBuffer.self) { bytes += material.readableBytesView }
                guard bytes.count >= sizeBits / 8 else {
                    throw QKDError(.storage, "\(place): the stored keys of key \(id) are missing")
                }
                try await connection.query("""
                    DELETE FROM \(unescaped: self.schema).qkd_delivery_slaves WHERE key_id = \(id) AND slave_sae_id = \(pair.slave)
                    """, logger: logger)
                // The last slave deletes the key.
                try await connection.query("""
                    DELETE FROM \(unescaped: self.schema).qkd_keys
                    WHERE id IN (SELECT stored_key_id FROM \(unescaped: self.schema).qkd_delivery_parts WHERE key_id = \(id))
                      AND NOT EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_slaves WHERE key_id = \(id))
                    """, logger: logger)
                try await connection.query("""
                    DELETE FROM \(unescaped: self.schema).qkd_deliveries WHERE key_id = \(id)
                      AND NOT EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_slaves WHERE key_id = \(id))
                    """, logger: logger)
                keys.append(DeliveredKey(id: id, bytes: Array(bytes.prefix(sizeBits / 8))))
            }
            return keys
        }
    }

    /// Takes `count` keys of `sizeBits` bits from `share` and deletes them, in one transaction.
    public func takeForPeerDelivery(count: Int, sizeBits: Int, share: KeyShare) async throws -> [KeyAssembly.Delivery] {
        try KeyAssembly.validate(count: count, sizeBits: sizeBits)
        let parity = Self.parity(share)
        return try await transaction(during: "take keys for the peer KME") { connection, logger in
            try await connection.query("SELECT pg_advisory_xact_lock(7305002)", logger: logger)
            let rows = try await connection.query("""
                SELECT id, material FROM \(unescaped: self.schema).qkd_keys k
                WHERE (\(parity)::int IS NULL OR \(unescaped: Self.parityOfID) = \(parity))
                  AND NOT EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_parts p WHERE p.stored_key_id = k.id)
                ORDER BY sequence
                """, logger: logger)
            var assembly = KeyAssembly(count: count, sizeBits: sizeBits)
            for try await (id, material) in rows.decode((UUID, ByteBuffer).self) where !assembly.isComplete {
                assembly.append(id: id, bytes: Array(material.readableBytesView))
            }
            guard assembly.isComplete else {
                throw QKDError(.unavailable, "not enough key material for \(count) keys of \(sizeBits) bits in the \(share) share")
            }
            let storedIDs = assembly.deliveries.flatMap(\.storedKeyIDs)
            try await connection.query(
                "DELETE FROM \(unescaped: self.schema).qkd_keys WHERE id = ANY(\(storedIDs)::uuid[])", logger: logger)
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
        try await transaction(during: "record the peer KME's deliveries to \(pair.master)") { connection, logger in
            try await connection.query("SELECT pg_advisory_xact_lock(7305002)", logger: logger)
            let now = Date().timeIntervalSinceReferenceDate
            for reservation in reservations {
                var storedKeys: [UUID: (bitCount: Int, delivered: Bool)] = [:]
                let rows = try await connection.query("""
                    SELECT k.id, octet_length(k.material) * 8,
                           EXISTS (SELECT 1 FROM \(unescaped: self.schema).qkd_delivery_parts p WHERE p.stored_key_id = k.id)
                    FROM \(unescaped: self.schema).qkd_keys k WHERE k.id = ANY(\(reservation.storedKeyIDs)::uuid[])
                    """, logger: logger)
                for try await (id, bitCount, delivered) in rows.decode((UUID, Int, Bool).self) {
                    storedKeys[id] = (bitCount, delivered)
                }
                try KeyAssembly.check(reservation, sizeBits: sizeBits, peerShare: peerShare) { storedKeys[$0] }
                try await connection.query("""
                    INSERT INTO \(unescaped: self.schema).qkd_deliveries (key_id, master_sae_id, slave_sae_id, size_bits, delivered_at)
                    VALUES (\(reservation.keyID), \(pair.master), \(pair.slave), \(sizeBits), \(now))
                    """, logger: logger)
                try await self.insertSlaves(of: [reservation.keyID], pair: pair, additionalSlaves: additionalSlaves, connection: connection, logger: logger)
                try await connection.query("""
                    INSERT INTO \(unescaped: self.schema).qkd_delivery_parts (stored_key_id, key_id, position, sequence)
                    SELECT k.id, \(reservation.keyID), parts.position - 1, k.sequence
                    FROM unnest(\(reservation.storedKeyIDs)::uuid[]) WITH ORDINALITY AS parts(id, position)
                    JOIN \(unescaped: self.schema).qkd_keys k ON k.id = parts.id
                    """, logger: logger)
                if let derive {
                    var materialsByID: [UUID: [UInt8]] = [:]
                    let rows = try await connection.query("""
                        SELECT id, material FROM \(unescaped: self.schema).qkd_keys WHERE id = ANY(\(reservation.storedKeyIDs)::uuid[])
                        """, logger: logger)
                    for try await (id, material) in rows.decode((UUID, ByteBuffer).self) {
                        materialsByID[id] = Array(material.readableBytesView)
                    }
                    let replaced = try KeyAssembly.replacing(
                        keyID: reservation.keyID, sizeBits: sizeBits, materials: reservation.storedKeyIDs.map { materialsByID[$0] ?? [] }, with: derive)
                    for (storedID, material) in zip(reservation.storedKeyIDs, replaced) {
                        try await connection.query("""
                            UPDATE \(unescaped: self.schema).qkd_keys SET material = \(ByteBuffer(bytes: material)) WHERE id = \(storedID)
                            """, logger: logger)
                    }
                }
            }
        }
    }

    /// Inserts the slaves still to serve of the deliveries `keyIDs`: the pair's and `additionalSlaves`.
    private func insertSlaves(
        of keyIDs: [UUID], pair: SAEPair, additionalSlaves: [String], connection: PostgresConnection, logger: Logger
    ) async throws {
        let slaves = Array(Set([pair.slave] + additionalSlaves))
        try await connection.query("""
            INSERT INTO \(unescaped: schema).qkd_delivery_slaves (key_id, slave_sae_id)
            SELECT k, s FROM unnest(\(keyIDs)::uuid[]) AS k CROSS JOIN unnest(\(slaves)::text[]) AS s
            """, logger: logger)
    }

    /// The ``KeyShare`` parity of `k.id`: 1 if the UUID's last hexadecimal digit is odd, else 0.
    private static let parityOfID = "(get_byte(uuid_send(k.id), 15) & 1)"

    /// The parity of `share`, nil for ``KeyShare/all``.
    private static func parity(_ share: KeyShare) -> Int? {
        switch share {
        case .all: nil
        case .even: 0
        case .odd: 1
        }
    }

    /// Runs `body` in one transaction; a `QKDError` it throws is rethrown as it is (after the
    /// rollback), any other failure becomes a `QKDError` `.storage` naming the store and `action`
    /// (never the query or its arguments).
    private func transaction<Value: Sendable>(
        during action: String,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> Value
    ) async throws -> Value {
        let logger = logger
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection, logger) }
        } catch let error as PostgresTransactionError {
            if let error = error.closureError as? QKDError { throw error }
            throw QKDError(.storage, "\(place): could not \(action) (\(Self.describe(error.closureError ?? error.beginError ?? error.commitError)))")
        } catch let error as QKDError {
            throw error
        } catch {
            throw QKDError(.storage, "\(place): could not \(action) (\(Self.describe(error)))")
        }
    }

    private static func describe(_ error: (any Error)?) -> String {
        guard let error else { return "unknown error" }
        if let error = error as? PSQLError {
            return error.serverInfo?[.message] ?? "\(error.code)"
        }
        return "\(type(of: error))"
    }

    private static func redacted(_ url: String) -> String {
        url.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression)
    }
}
