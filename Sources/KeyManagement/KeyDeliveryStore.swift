import Foundation

/// The store a Key Management Entity (KME) serves keys from, with exactly-once delivery.
///
/// Keys are the link's stored keys (``StoredKey``, 256 bits each by default), taken oldest first.
/// A delivered key of `sizeBits` bits (a positive multiple of 8) is the first `sizeBits` bits of
/// the concatenation of as many consecutive stored keys as it needs; its ID is the ID of the
/// first of them, a UUID that both nodes of the link hold. Bits of the last stored key beyond
/// `sizeBits` are discarded with it, never given to another key, so sizes that are multiples of
/// the stored key size waste nothing.
///
/// - ``takeForMaster(count:sizeBits:pair:)`` marks the stored keys it uses as delivered to the
///   master, in one transaction: two concurrent calls, on one KME or on several sharing the store,
///   never get the same stored key.
/// - ``takeForSlave(ids:pair:)`` returns keys the master of `pair` was given, by ID, once: in the
///   same transaction it deletes their stored keys and the delivery record.
///
/// Every call is all or nothing: a call that throws has changed nothing. A delivery is committed
/// before it is returned, so a crash after the commit loses that key (it is never delivered twice)
/// and a crash before it leaves the store as it was.
public protocol KeyDeliveryStore: Sendable {
    /// The stored key material not yet delivered to any master, in bits.
    func availableBits() async throws -> Int

    /// Takes `count` new keys of `sizeBits` bits for the master of `pair`.
    ///
    /// Throws `QKDError` `.unavailable` (and takes nothing) if the store holds too little
    /// undelivered key material, and `.invalidParameter` unless `count` is positive and
    /// `sizeBits` a positive multiple of 8.
    func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair) async throws -> [DeliveredKey]

    /// Takes the keys with identifiers `ids`, in that order, for the slave of `pair`, and deletes
    /// them from the store.
    ///
    /// Throws `QKDError` `.notFound` (and takes nothing) if any ID was not delivered to the master
    /// of `pair`, was already taken by the slave, or is repeated in `ids`.
    func takeForSlave(ids: [UUID], pair: SAEPair) async throws -> [DeliveredKey]
}
