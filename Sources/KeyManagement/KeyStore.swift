import Foundation

/// A place where distilled keys wait until an application consumes them.
///
/// Every failure is thrown as a `QKDError` whose message names the store.
public protocol KeyStore: Sendable {
    /// Adds `keys` atomically: either all of them are stored or, if any fails (for instance an
    /// identifier that is already stored or repeated within `keys`), none is.
    func insert(_ keys: [StoredKey]) throws

    /// The key with identifier `id`, or nil if the store does not hold it.
    func key(id: UUID) throws -> StoredKey?

    /// The identifiers of all stored keys, oldest insertion first.
    func keyIDs() throws -> [UUID]

    /// The oldest stored keys, in insertion order, up to the first at which they hold at least
    /// `bitCount` bits together (all keys if they hold fewer): what a one-time pad of `bitCount`
    /// bits takes (``KeyRelay``). Costs time in the number of keys returned, not in the number
    /// stored.
    func oldestKeys(holdingAtLeast bitCount: Int) throws -> [StoredKey]

    /// The number of stored keys.
    func count() throws -> Int

    /// The total length of all stored keys, in bits.
    func totalBits() throws -> Int

    /// Deletes the key with identifier `id` and returns it, or returns nil if the store does not
    /// hold it.
    func remove(id: UUID) throws -> StoredKey?

    /// The distinct distillation blocks that stored keys came from, in ascending order.
    func blockIDs() throws -> [UInt64]
}
