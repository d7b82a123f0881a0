import Foundation

/// A delivered key as the master's KME tells it to the slave's KME: the key's ID and the stored
/// keys it was cut from, in order. The slave's KME, holding the same stored keys, cuts the same
/// key from them (``KeyDeliveryStore``).
public struct KeyReservation: Sendable, Equatable, Codable {
    /// The delivered key's ID, the ID of its first stored key.
    public let keyID: UUID
    /// The stored keys, first to last.
    public let storedKeyIDs: [UUID]

    /// Creates a reservation.
    public init(keyID: UUID, storedKeyIDs: [UUID]) {
        self.keyID = keyID
        self.storedKeyIDs = storedKeyIDs
    }
}
