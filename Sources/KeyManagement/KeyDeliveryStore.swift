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
/// Two deployments use it:
///
/// - One store for both ends of the link (one KME, or several sharing the store):
///   ``takeForMaster(count:sizeBits:pair:additionalSlaves:)`` marks the stored keys it uses as delivered to the
///   master, in one transaction: two concurrent calls, on one KME or on several sharing the
///   store, never get the same stored key. ``takeForSlave(ids:pair:)`` then returns them by ID,
///   once, and deletes them.
/// - Each end of the link with its own KME and its own copy of the keys: the master's KME takes
///   keys of its ``KeyShare`` with ``takeForPeerDelivery(count:sizeBits:share:)``, which deletes
///   them from its store at once, and tells the slave's KME, which records them with
///   ``recordPeerDelivery(_:sizeBits:pair:additionalSlaves:peerShare:)``; the slave then gets them there with
///   ``takeForSlave(ids:pair:)``.
///
/// Every call is all or nothing: a call that throws has changed nothing. A delivery is committed
/// before it is returned, so a crash after the commit loses that key (it is never delivered twice)
/// and a crash before it leaves the store as it was.
public protocol KeyDeliveryStore: Sendable {
    /// The stored key material of `share` not yet delivered to any master, in bits.
    func availableBits(in share: KeyShare) async throws -> Int

    /// Takes `count` new keys of `sizeBits` bits for the master of `pair`, and keeps them for the
    /// slave of `pair` and each of `additionalSlaves` (ETSI 014 `additional_slave_SAE_IDs`).
    ///
    /// Throws `QKDError` `.unavailable` (and takes nothing) if the store holds too little
    /// undelivered key material, and `.invalidParameter` unless `count` is positive and
    /// `sizeBits` a positive multiple of 8.
    func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair, additionalSlaves: [String]) async throws -> [DeliveredKey]

    /// Takes the keys with identifiers `ids`, in that order, for the slave of `pair` (the pair's
    /// slave or one of the delivery's additional slaves); the last of the delivery's slaves to
    /// take a key deletes it from the store.
    ///
    /// Throws `QKDError` `.notFound` (and takes nothing) if any ID was not delivered to the master
    /// of `pair` for this slave, was already taken by this slave, or is repeated in `ids`.
    func takeForSlave(ids: [UUID], pair: SAEPair) async throws -> [DeliveredKey]

    /// Takes `count` new keys of `sizeBits` bits from `share` for a master whose slave is served
    /// by the peer KME, and deletes them (and the stored keys they were cut from) from this store
    /// in the same transaction: the peer's copy is the only one left.
    ///
    /// Throws like ``takeForMaster(count:sizeBits:pair:additionalSlaves:)``.
    func takeForPeerDelivery(count: Int, sizeBits: Int, share: KeyShare) async throws -> [KeyAssembly.Delivery]

    /// Records that the peer KME gave the keys of `reservations` (`sizeBits` bits each) to the
    /// master of `pair`, so that the slave and `additionalSlaves` can take them with
    /// ``takeForSlave(ids:pair:)``. With `derive`, each key is replaced in the same transaction
    /// by `derive(key)`, a key of the same ID and length (a hybrid key, for instance), which is
    /// what the slaves then get; the key it replaces is gone (``KeyAssembly/replacing(keyID:sizeBits:materials:with:)``).
    ///
    /// Throws `QKDError` (and records nothing) if a stored key is missing, is not in
    /// `peerShare`, or is already part of a delivery, if a reservation's key ID is not its first
    /// stored key, or if its stored keys hold fewer than `sizeBits` bits; and what `derive` throws.
    func recordPeerDelivery(
        _ reservations: [KeyReservation], sizeBits: Int, pair: SAEPair, additionalSlaves: [String], peerShare: KeyShare,
        deriving derive: (@Sendable (DeliveredKey) throws -> DeliveredKey)?
    ) async throws
}

extension KeyDeliveryStore {
    /// Takes `count` new keys of `sizeBits` bits for the master of `pair` and its one slave.
    public func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair) async throws -> [DeliveredKey] {
        try await takeForMaster(count: count, sizeBits: sizeBits, pair: pair, additionalSlaves: [])
    }

    /// Records the peer KME's deliveries to the master of `pair` for its one slave.
    public func recordPeerDelivery(_ reservations: [KeyReservation], sizeBits: Int, pair: SAEPair, peerShare: KeyShare) async throws {
        try await recordPeerDelivery(reservations, sizeBits: sizeBits, pair: pair, additionalSlaves: [], peerShare: peerShare, deriving: nil)
    }

    /// Records the peer KME's deliveries to the master of `pair` and `additionalSlaves`, the keys as they are.
    public func recordPeerDelivery(
        _ reservations: [KeyReservation], sizeBits: Int, pair: SAEPair, additionalSlaves: [String], peerShare: KeyShare
    ) async throws {
        try await recordPeerDelivery(
            reservations, sizeBits: sizeBits, pair: pair, additionalSlaves: additionalSlaves, peerShare: peerShare, deriving: nil)
    }
}
