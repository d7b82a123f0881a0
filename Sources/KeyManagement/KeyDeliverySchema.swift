import GRDB

/// The KME's delivery records in an SQLite key store: the migration `kme-1: key deliveries`,
/// registered after the key store's own migrations, adds
///
/// ```sql
/// CREATE TABLE kme_deliveries (
///     key_id TEXT PRIMARY KEY NOT NULL,   -- delivered key ID = ID of its first stored key
///     master_sae_id TEXT NOT NULL,
///     slave_sae_id TEXT NOT NULL,
///     size_bits INTEGER NOT NULL,         -- a positive multiple of 8
///     delivered_at REAL NOT NULL          -- seconds since 2001-01-01 00:00:00 UTC
/// ) STRICT;
/// CREATE TABLE kme_delivery_parts (
///     stored_key_id TEXT PRIMARY KEY NOT NULL,  -- a row of `keys`, used by one delivery only
///     key_id TEXT NOT NULL,                     -- the delivery it belongs to
///     position INTEGER NOT NULL,                -- 0, 1, ... in the delivered key's bit order
///     sequence INTEGER NOT NULL UNIQUE          -- the stored key's `keys.sequence`
/// ) STRICT;
/// ```
///
/// A stored key with a row in `kme_delivery_parts` has been given to a master; once the slave
/// (the last of its slaves, see `kme-2`) has it, its `keys` row, its part and its delivery are
/// deleted together. Masters take stored keys in `sequence` order and new keys get higher
/// sequences, so every key at or below the highest delivered sequence is delivered: the next
/// undelivered key is found from there, without scanning the keys waiting for their slave.
///
/// The migration `kme-2: key shares, pool counters, several slaves` adds what two KMEs with their
/// own copies of the keys need (``KeyShare``), the slaves still to serve of each delivery (the
/// pair's slave and ETSI 014's additional slaves), and makes the status constant-time:
///
/// ```sql
/// CREATE TABLE kme_delivery_slaves (
///     key_id TEXT NOT NULL,          -- a row of kme_deliveries
///     slave_sae_id TEXT NOT NULL,    -- a slave that has not taken the key yet
///     PRIMARY KEY (key_id, slave_sae_id)
/// ) STRICT;
/// CREATE INDEX keys_by_share ON keys(<parity of id>, sequence);
/// CREATE TABLE kme_pool (
///     parity INTEGER PRIMARY KEY NOT NULL,   -- 0: IDs ending in an even hex digit, 1: odd
///     undelivered_bits INTEGER NOT NULL      -- stored keys of that parity given to no master
/// ) STRICT;
/// ```
///
/// with triggers that keep `kme_pool` equal to the sum of `bit_count` over the keys that have no
/// row in `kme_delivery_parts`: a key inserted adds its bits, a key delivered (its part inserted)
/// or deleted undelivered subtracts them. Every writer of the file, in any process, goes through
/// them, so the counters hold however the keys got there.
enum KeyDeliverySchema {
    /// Registers the migration in `migrator`.
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("kme-1: key deliveries") { database in
            try database.execute(
                sql: """
                    CREATE TABLE kme_deliveries (
                        key_id TEXT PRIMARY KEY NOT NULL,
                        master_sae_id TEXT NOT NULL,
                        slave_sae_id TEXT NOT NULL,
                        size_bits INTEGER NOT NULL CHECK (size_bits > 0 AND size_bits % 8 = 0),
                        delivered_at REAL NOT NULL
                    ) STRICT;
                    CREATE TABLE kme_delivery_parts (
                        stored_key_id TEXT PRIMARY KEY NOT NULL,
                        key_id TEXT NOT NULL,
                        position INTEGER NOT NULL,
                        sequence INTEGER NOT NULL UNIQUE,
                        UNIQUE (key_id, position)
                    ) STRICT;
                    """
            )
        }
        migrator.registerMigration("kme-2: key shares, pool counters, several slaves") { database in
            let undelivered = "NOT EXISTS (SELECT 1 FROM kme_delivery_parts WHERE stored_key_id = keys.id)"
            try database.execute(
                sql: """
                    CREATE TABLE kme_delivery_slaves (
                        key_id TEXT NOT NULL,
                        slave_sae_id TEXT NOT NULL,
                        PRIMARY KEY (key_id, slave_sae_id)
                    ) STRICT;
                    INSERT INTO kme_delivery_slaves (key_id, slave_sae_id) SELECT key_id, slave_sae_id FROM kme_deliveries;
                    CREATE INDEX keys_by_share ON keys(\(parity(of: "id")), sequence);
                    CREATE TABLE kme_pool (
                        parity INTEGER PRIMARY KEY NOT NULL,
                        undelivered_bits INTEGER NOT NULL
                    ) STRICT;
                    INSERT INTO kme_pool (parity, undelivered_bits)
                    SELECT parities.parity, (SELECT COALESCE(SUM(bit_count), 0) FROM keys
                                             WHERE \(parity(of: "id")) = parities.parity AND \(undelivered))
                    FROM (SELECT 0 AS parity UNION ALL SELECT 1) AS parities;
                    CREATE TRIGGER kme_pool_key_inserted AFTER INSERT ON keys BEGIN
                        UPDATE kme_pool SET undelivered_bits = undelivered_bits + NEW.bit_count
                        WHERE parity = \(parity(of: "NEW.id"));
                    END;
                    CREATE TRIGGER kme_pool_undelivered_key_deleted AFTER DELETE ON keys
                    WHEN NOT EXISTS (SELECT 1 FROM kme_delivery_parts WHERE stored_key_id = OLD.id) BEGIN
                        UPDATE kme_pool SET undelivered_bits = undelivered_bits - OLD.bit_count
                        WHERE parity = \(parity(of: "OLD.id"));
                    END;
                    CREATE TRIGGER kme_pool_key_delivered AFTER INSERT ON kme_delivery_parts BEGIN
                        UPDATE kme_pool
                        SET undelivered_bits = undelivered_bits - (SELECT bit_count FROM keys WHERE id = NEW.stored_key_id)
                        WHERE parity = \(parity(of: "NEW.stored_key_id"));
                    END;
                    """
            )
        }
    }

    /// The SQL expression of the ``KeyShare`` parity of the key ID in `column` (UUID text): 1 if
    /// its last hexadecimal digit is odd, else 0. The index `keys_by_share` is on
    /// `parity(of: "id")`, so queries must spell it the same way to use it.
    static func parity(of column: String) -> String {
        "(instr('13579BDF', upper(substr(\(column), -1, 1))) > 0)"
    }

    /// The parity value of `share` in ``parity(of:)`` terms, nil for ``KeyShare/all``.
    static func parityValue(_ share: KeyShare) -> Int? {
        switch share {
        case .all: nil
        case .even: 0
        case .odd: 1
        }
    }
}
