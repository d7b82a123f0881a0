import Foundation
import QKDCore

/// A key store held in memory, for tests and for runs that keep no key file.
///
/// It is safe to use from several threads at once: every access holds `lock`. (A `Mutex` from
/// the Synchronization module would need macOS 15, and the package supports macOS 14, hence the
/// `NSLock` and the `@unchecked Sendable` that it requires; all mutable state is private and only
/// touched under the lock.)
public final class MemoryKeyStore: KeyStore, @unchecked Sendable {
    private let lock = NSLock()
    private var idsInInsertionOrder: [UUID] = []
    private var keysByID: [UUID: StoredKey] = [:]

    /// Creates an empty store.
    public init() {}

    /// Adds `keys` atomically; throws `QKDError` `.invalidParameter` and adds nothing if an
    /// identifier is already stored or repeated within `keys`.
    public func insert(_ keys: [StoredKey]) throws {
        try lock.withLock {
            var incomingIDs = Set<UUID>()
            for key in keys {
                guard keysByID[key.id] == nil, incomingIDs.insert(key.id).inserted else {
                    throw QKDError(
                        .invalidParameter,
                        "in-memory key store: key \(key.id) is already stored or repeated; none of the \(keys.count) keys were inserted"
                    )
                }
            }
            for key in keys {
                keysByID[key.id] = key
                idsInInsertionOrder.append(key.id)
            }
        }
    }

    /// The key with identifier `id`, or nil if the store does not hold it.
    public func key(id: UUID) -> StoredKey? {
        lock.withLock { keysByID[id] }
    }

    /// The identifiers of all stored keys, oldest insertion first.
    public func keyIDs() -> [UUID] {
        lock.withLock { idsInInsertionOrder }
    }

    /// The number of stored keys.
    public func count() -> Int {
        lock.withLock { keysByID.count }
    }

    /// The total length of all stored keys, in bits.
    public func totalBits() -> Int {
        lock.withLock { keysByID.values.reduce(0) { $0 + $1.bitCount } }
    }

    /// Deletes the key with identifier `id` and returns it, or returns nil if absent.
    public func remove(id: UUID) -> StoredKey? {
        lock.withLock {
            guard let key = keysByID.removeValue(forKey: id) else { return nil }
            idsInInsertionOrder.removeAll { $0 == id }
            return key
        }
    }

    /// The distinct distillation blocks that stored keys came from, in ascending order.
    public func blockIDs() -> [UInt64] {
        lock.withLock { Set(keysByID.values.map(\.blockID)).sorted() }
    }
}
