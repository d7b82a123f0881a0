import QKDCore
import Foundation

/// Builds delivered keys of one size from stored keys taken oldest first (see
/// ``KeyDeliveryStore``): each delivered key is the first `sizeBits` bits of the concatenation of
/// as many stored keys as it needs, named by the first of them. Shared by the store
/// implementations, so that they all cut keys alike.
public struct KeyAssembly: Sendable {
    /// One delivered key and the stored keys it used, in order.
    public struct Delivery: Sendable {
        /// The key as handed out.
        public let key: DeliveredKey
        /// The stored keys it was cut from, first to last.
        public let storedKeyIDs: [UUID]
    }

    /// The keys completed so far.
    public private(set) var deliveries: [Delivery] = []
    private let count: Int
    private let byteCount: Int
    private var pendingIDs: [UUID] = []
    private var pendingBytes: [UInt8] = []

    /// An assembly of `count` keys of `sizeBits` bits each.
    public init(count: Int, sizeBits: Int) {
        self.count = count
        self.byteCount = sizeBits / 8
    }

    /// Whether all `count` keys are complete.
    public var isComplete: Bool { deliveries.count == count }

    /// Adds the next stored key; completes a delivered key once enough bytes are pending.
    public mutating func append(id: UUID, bytes: [UInt8]) {
        pendingIDs.append(id)
        pendingBytes += bytes
        guard pendingBytes.count >= byteCount, let firstID = pendingIDs.first else { return }
        deliveries.append(Delivery(key: DeliveredKey(id: firstID, bytes: Array(pendingBytes.prefix(byteCount))), storedKeyIDs: pendingIDs))
        pendingIDs = []
        pendingBytes = []
    }

    /// Replaces the key cut from stored keys of `materials` (in order) by `derive`'s key of the
    /// same ID and length, for a store that keeps a derived key in place of the key it was
    /// derived from (``KeyDeliveryStore/recordPeerDelivery(_:sizeBits:pair:additionalSlaves:peerShare:deriving:)``):
    /// returns the stored keys' new materials, each of its old length, that cut to the derived
    /// key (bits of the last stored key beyond the key are kept as they were; they are never
    /// delivered).
    ///
    /// Throws what `derive` throws, and `QKDError` `.storage` if the materials hold fewer than
    /// `sizeBits` bits or `derive` changes the key's ID or length.
    public static func replacing(
        keyID: UUID, sizeBits: Int, materials: [[UInt8]], with derive: (DeliveredKey) throws -> DeliveredKey
    ) throws -> [[UInt8]] {
        let byteCount = sizeBits / 8
        let key = DeliveredKey(id: keyID, bytes: Array(materials.joined().prefix(byteCount)))
        guard key.bytes.count == byteCount else {
            throw QKDError(.storage, "the stored keys of key \(keyID) hold fewer than \(sizeBits) bits")
        }
        let derived = try derive(key)
        guard derived.id == keyID, derived.bytes.count == byteCount else {
            throw QKDError(.storage, "the key derived from key \(keyID) changed its ID or its length")
        }
        var offset = 0
        return materials.map { material in
            let count = min(material.count, byteCount - offset)
            defer { offset += count }
            return Array(derived.bytes[offset..<offset + count]) + material.dropFirst(count)
        }
    }

    /// Throws `QKDError` `.invalidParameter` unless `count` is positive and `sizeBits` a positive
    /// multiple of 8.
    public static func validate(count: Int, sizeBits: Int) throws {
        guard count > 0 else {
            throw QKDError(.invalidParameter, "the number of keys must be positive, got \(count)")
        }
        guard sizeBits > 0, sizeBits % 8 == 0 else {
            throw QKDError(.invalidParameter, "key size \(sizeBits) bits is not a positive multiple of 8")
        }
    }

    /// Checks a reservation the peer KME sent (``KeyDeliveryStore/recordPeerDelivery(_:sizeBits:pair:peerShare:)``)
    /// against this store, where `storedKey` gives a stored key's length in bits and whether it is
    /// already part of a delivery, or nil if the store does not hold it. The reservation must be
    /// what ``KeyAssembly`` would have cut from these keys: named by its first stored key, the
    /// fewest stored keys that hold `sizeBits` bits, all in `peerShare` and none delivered.
    ///
    /// Throws `QKDError` `.notFound` for a missing stored key, `.invalidParameter` for any other
    /// mismatch, naming the key.
    public static func check(
        _ reservation: KeyReservation,
        sizeBits: Int,
        peerShare: KeyShare,
        storedKey: (UUID) throws -> (bitCount: Int, delivered: Bool)?
    ) throws {
        let key = reservation.keyID.uuidString.lowercased()
        guard reservation.storedKeyIDs.first == reservation.keyID, Set(reservation.storedKeyIDs).count == reservation.storedKeyIDs.count else {
            throw QKDError(.invalidParameter, "key \(key) must be named by its first stored key and use each stored key once")
        }
        var bits = 0
        var lastBits = 0
        for storedID in reservation.storedKeyIDs {
            let stored = storedID.uuidString.lowercased()
            guard peerShare.contains(storedID) else {
                throw QKDError(.invalidParameter, "stored key \(stored) is not in the peer KME's share (\(peerShare))")
            }
            guard let (bitCount, delivered) = try storedKey(storedID) else {
                throw QKDError(.notFound, "stored key \(stored) is not in this KME's store")
            }
            guard !delivered else {
                throw QKDError(.invalidParameter, "stored key \(stored) is already part of a delivery")
            }
            bits += bitCount
            lastBits = bitCount
        }
        guard bits >= sizeBits, bits - lastBits < sizeBits else {
            throw QKDError(.invalidParameter, "the stored keys of key \(key) hold \(bits) bits, not the fewest that make \(sizeBits)")
        }
    }
}
