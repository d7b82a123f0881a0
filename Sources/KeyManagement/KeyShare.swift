import Foundation

/// Which of a link's stored keys a KME may hand to its own master SAEs.
///
/// One KME serving both ends of a link (or several sharing one store) uses ``all``. When each end
/// of the link has its own KME with its own copy of the keys, the two KMEs split the keys by the
/// parity of the last hexadecimal digit of the key ID: the KME whose ID sorts first takes the
/// ``even`` keys, the other the ``odd`` ones. A key is then offered to masters by one KME only, so
/// the two KMEs never hand the same key to two requests, without asking each other first.
public enum KeyShare: String, Sendable, Codable, CaseIterable {
    /// Every key.
    case all
    /// Keys whose ID ends in an even hexadecimal digit.
    case even
    /// Keys whose ID ends in an odd hexadecimal digit.
    case odd

    /// The share of the KME `kmeID` on a link whose other KME is `peerKMEID`.
    public static func of(kmeID: String, peerKMEID: String) -> KeyShare {
        kmeID < peerKMEID ? .even : .odd
    }

    /// Whether the key with identifier `id` is in this share.
    public func contains(_ id: UUID) -> Bool {
        switch self {
        case .all: true
        case .even: id.uuid.15 & 1 == 0
        case .odd: id.uuid.15 & 1 == 1
        }
    }
}
