import Foundation
import GRDB
import QKDCore

/// One segment of the authentication pool as stored: the bootstrap key (no block) or the
/// authentication slice of a committed block.
public struct AuthenticationSegment: Sendable, Equatable {
    /// The block the slice came from; nil for the bootstrap key.
    public var blockID: UInt64?
    /// The secret bytes.
    public var material: [UInt8]

    /// Creates a segment.
    public init(blockID: UInt64?, material: [UInt8]) {
        self.blockID = blockID
        self.material = material
    }
}

/// The tables of a networked node: a block's keys are committed on both sides or on neither.
///
/// Alice writes a block's keys as pending (durably) before she sends the privacy-amplification
/// order; Bob commits them (keys and authentication slice in one transaction) and acknowledges;
/// Alice then commits her pending block. After a crash, Bob's hello lists the blocks he holds
/// beyond Alice's pool, and Alice commits exactly those and discards her other pending blocks
/// (`commitPending(_:discardingOthers:)`), so no key is ever held by one side only. Committed keys are the
/// only ones `keyIDs()` and `key(id:)` see.
extension SQLiteKeyStore {
    /// Stores a block's keys and authentication slice as pending (Alice, first phase).
    public func insertPending(blockID: UInt64, keys: [StoredKey], authenticationSlice: [UInt8]) throws {
        try write(during: "insert pending block \(blockID)") { database in
            try database.execute(
                sql: "INSERT INTO pending_blocks (block_id, authentication_slice) VALUES (?, ?)",
                arguments: [Int64(bitPattern: blockID), Data(authenticationSlice)])
            for (position, key) in keys.enumerated() {
                try database.execute(
                    sql: "INSERT INTO pending_keys (id, position, block_id, material, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [key.id.uuidString, position, Int64(bitPattern: blockID), Data(key.bytes),
                                key.createdAt.timeIntervalSinceReferenceDate])
            }
        }
    }

    /// Commits a block directly (Bob): its keys and its authentication slice, in one transaction.
    public func commit(blockID: UInt64, keys: [StoredKey], authenticationSlice: [UInt8]) throws {
        try write(during: "commit block \(blockID)") { database in
            try Self.insertCommitted(keys, database: database)
            try Self.appendSegment(blockID: blockID, material: authenticationSlice, database: database)
        }
    }

    /// Commits the pending blocks `blockIDs`, in that order, in one transaction (discarding every
    /// other pending block if `discardingOthers`, as at reconciliation); returns their
    /// authentication slices in commit order. Throws if a listed block is not pending.
    @discardableResult
    public func commitPending(_ blockIDs: [UInt64], discardingOthers: Bool) throws -> [[UInt8]] {
        try write(during: "commit pending blocks") { database in
            var slices: [[UInt8]] = []
            for blockID in blockIDs {
                let block = Int64(bitPattern: blockID)
                guard let slice = try Data.fetchOne(
                    database, sql: "SELECT authentication_slice FROM pending_blocks WHERE block_id = ?", arguments: [block])
                else {
                    throw QKDError(.protocolFailure, "key store \(path): the peer committed block \(blockID), which this node does not hold as pending")
                }
                let rows = try Row.fetchAll(
                    database, sql: "SELECT id, material, created_at FROM pending_keys WHERE block_id = ? ORDER BY position", arguments: [block])
                let keys = try rows.map { row in
                    StoredKey(
                        id: UUID(uuidString: try row.decode(String.self, forColumn: "id"))!,
                        bytes: [UInt8](try row.decode(Data.self, forColumn: "material")), blockID: blockID,
                        createdAt: Date(timeIntervalSinceReferenceDate: try row.decode(Double.self, forColumn: "created_at")))
                }
                try Self.insertCommitted(keys, database: database)
                try Self.appendSegment(blockID: blockID, material: [UInt8](slice), database: database)
                slices.append([UInt8](slice))
                try database.execute(sql: "DELETE FROM pending_keys WHERE block_id = ?", arguments: [block])
                try database.execute(sql: "DELETE FROM pending_blocks WHERE block_id = ?", arguments: [block])
            }
            if discardingOthers {
                try database.execute(sql: "DELETE FROM pending_keys")
                try database.execute(sql: "DELETE FROM pending_blocks")
            }
            return slices
        }
    }

    /// The pending blocks and their authentication slices.
    public func pendingBlocks() throws -> [UInt64: [UInt8]] {
        try read(during: "list pending blocks") { database in
            var blocks: [UInt64: [UInt8]] = [:]
            for row in try Row.fetchAll(database, sql: "SELECT block_id, authentication_slice FROM pending_blocks") {
                blocks[UInt64(bitPattern: try row.decode(Int64.self, forColumn: "block_id"))] =
                    [UInt8](try row.decode(Data.self, forColumn: "authentication_slice"))
            }
            return blocks
        }
    }

    /// The authentication pool's segments, bootstrap first, then in commit order.
    public func authenticationSegments() throws -> [AuthenticationSegment] {
        try read(during: "read the authentication pool") { database in
            try Row.fetchAll(database, sql: "SELECT block_id, material FROM authentication_pool ORDER BY position").map { row in
                AuthenticationSegment(
                    blockID: try row.decode(Int64?.self, forColumn: "block_id").map { UInt64(bitPattern: $0) },
                    material: [UInt8](try row.decode(Data.self, forColumn: "material")))
            }
        }
    }

    /// Stores the bootstrap key as the pool's first segment if the pool is empty; returns the
    /// stored bootstrap key.
    public func installBootstrap(_ material: [UInt8]) throws -> [UInt8] {
        try write(during: "install the bootstrap key") { database in
            if let existing = try Data.fetchOne(database, sql: "SELECT material FROM authentication_pool WHERE position = 0") {
                return [UInt8](existing)
            }
            try database.execute(sql: "INSERT INTO authentication_pool (position, block_id, material) VALUES (0, NULL, ?)", arguments: [Data(material)])
            return material
        }
    }

    /// A one-time-pad counter (0 if never set).
    public func authenticationCounter(_ name: String) throws -> UInt64 {
        try read(during: "read counter \(name)") { database in
            UInt64(bitPattern: try Int64.fetchOne(database, sql: "SELECT value FROM authentication_counters WHERE name = ?", arguments: [name]) ?? 0)
        }
    }

    /// Durably sets a one-time-pad counter.
    public func setAuthenticationCounter(_ name: String, to value: UInt64) throws {
        try write(during: "write counter \(name)") { database in
            try database.execute(
                sql: "INSERT INTO authentication_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [name, Int64(bitPattern: value)])
        }
    }

    /// One more than the largest block ID in committed keys, pending blocks or the pool.
    public func nextUnusedBlockID() throws -> UInt64 {
        try read(during: "find the next block ID") { database in
            let sql = """
                SELECT MAX(b) FROM (SELECT MAX(block_id) AS b FROM keys UNION ALL SELECT MAX(block_id) FROM pending_blocks
                UNION ALL SELECT MAX(block_id) FROM authentication_pool)
                """
            return try Int64.fetchOne(database, sql: sql).map { UInt64(bitPattern: $0) + 1 } ?? 0
        }
    }

    private static func insertCommitted(_ keys: [StoredKey], database: Database) throws {
        let lastSequence = try Int64.fetchOne(database, sql: "SELECT COALESCE(MAX(sequence), 0) FROM keys") ?? 0
        for (offset, key) in keys.enumerated() {
            try database.execute(
                sql: "INSERT INTO keys (id, sequence, block_id, bit_count, material, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [key.id.uuidString, lastSequence + Int64(offset) + 1, Int64(bitPattern: key.blockID), key.bitCount,
                            Data(key.bytes), key.createdAt.timeIntervalSinceReferenceDate])
        }
    }

    private static func appendSegment(blockID: UInt64, material: [UInt8], database: Database) throws {
        let position = (try Int64.fetchOne(database, sql: "SELECT COALESCE(MAX(position), 0) FROM authentication_pool") ?? 0) + 1
        try database.execute(
            sql: "INSERT INTO authentication_pool (position, block_id, material) VALUES (?, ?, ?)",
            arguments: [position, Int64(bitPattern: blockID), Data(material)])
    }
}
