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
/// has it, its `keys` row, its part and its delivery are deleted together. Masters take stored
/// keys in `sequence` order and new keys get higher sequences, so every key at or below the
/// highest delivered sequence is delivered: the next undelivered key is found from there, without
/// scanning the keys waiting for their slave.
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
    }
}
