import Foundation

/// The slave's KME's answer to a ``PeerDeliveryNotice``, once it has recorded the keys: for
/// hybrid keys, the ML-KEM-768 ciphertext of each key (Base64, in the notice's order), from
/// which the master's KME derives the same hybrid keys.
///
/// ```json
/// {"hybrid_ciphertexts": ["Base64", ...]}
/// ```
///
/// (`{}` for plain keys.)
public struct PeerDeliveryAnswer: Codable, Equatable, Sendable {
    /// The ciphertexts the slave's KME encapsulated to the notice's `hybrid_public_key`, nil for plain keys.
    public let hybrid_ciphertexts: [String]?

    /// An answer carrying `hybridCiphertexts` (nil for plain keys).
    public init(hybridCiphertexts: [String]?) {
        hybrid_ciphertexts = hybridCiphertexts
    }
}
