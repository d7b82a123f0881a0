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
    /// The stored keys and the insertion number of each.
    private var keysByID: [UUID: (key: StoredKey, insertion: Int)] = [:]
    /// Every insertion, oldest first, from `oldest` on; an entry whose key was removed (or
    /// removed and inserted again later, under a new insertion number) is stale and skipped.
    /// Stale entries at the front are dropped as removals reach them, and the array is compacted
    /// once most of it is stale, so removal costs O(1) amortised and the oldest keys are found
    /// without a scan.
    private var insertions: [(id: UUID, insertion: Int)] = []
    private var oldest = 0
    private var nextInsertion = 0
    private var bitCount = 0

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
                keysByID[key.id] = (key, nextInsertion)
                insertions.append((key.id, nextInsertion))
                nextInsertion += 1
                bitCount += key.bitCount
            }
        }
    }

    /// The key with identifier `id`, or nil if the store does not hold it.
    public func key(id: UUID) -> StoredKey? {
        lock.withLock { keysByID[id]?.key }
    }

    /// The identifiers of all stored keys, oldest insertion first.
    public func keyIDs() -> [UUID] {
        lock.withLock { insertions[oldest...].filter(isCurrent).map { $0.id } }
    }

    /// The oldest stored keys holding at least `bitCount` bits (all if they hold fewer).
    public func oldestKeys(holdingAtLeast bitCount: Int) -> [StoredKey] {
        lock.withLock {
            var keys: [StoredKey] = []
            var bits = 0
            var index = oldest
            while bits < bitCount, index < insertions.count {
                if isCurrent(insertions[index]), let key = keysByID[insertions[index].id]?.key {
                    keys.append(key)
                    bits += key.bitCount
                }
                index += 1
            }
            return keys
        }
    }

    /// The number of stored keys.
    public func count() -> Int {
        lock.withLock { keysByID.count }
    }

    /// The total length of all stored keys, in bits (kept as keys come and go).
    public func totalBits() -> Int {
        lock.withLock { bitCount }
    }

    /// Deletes the key with identifier `id` and returns it, or returns nil if absent.
    public func remove(id: UUID) -> StoredKey? {
        lock.withLock {
            guard let key = keysByID.removeValue(forKey: id)?.key else { return nil }
            bitCount -= key.bitCount
            while oldest < insertions.count, !isCurrent(insertions[oldest]) { oldest += 1 }
            if insertions.count - oldest > 2 * keysByID.count + 64 {
                insertions = insertions[oldest...].filter(isCurrent)
                oldest = 0
            } else if oldest > insertions.count / 2 {
                insertions.removeFirst(oldest)
                oldest = 0
            }
            return key
        }
    }

    /// The distinct distillation blocks that stored keys came from, in ascending order.
    public func blockIDs() -> [UInt64] {
        lock.withLock { Set(keysByID.values.map { $0.key.blockID }).sorted() }
    }

    /// Whether `entry` is the insertion of a key still stored (called under `lock`).
    private func isCurrent(_ entry: (id: UUID, insertion: Int)) -> Bool {
        keysByID[entry.id]?.insertion == entry.insertion
    }
}
