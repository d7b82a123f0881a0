import Foundation
import KeyManagement

/// The answer to `enc_keys` and `dec_keys`: `{"keys": [{"key_ID": UUID, "key": Base64}]}`.
public struct KeyContainer: Codable, Equatable, Sendable {
    /// One key: its ID (lower-case UUID text) and its material in Base64.
    public struct Key: Codable, Equatable, Sendable {
        /// The key's UUID.
        public let key_ID: String
        /// The key material, Base64.
        public let key: String
    }

    /// The keys.
    public let keys: [Key]

    /// The container of `keys`.
    public init(_ keys: [DeliveredKey]) {
        self.keys = keys.map { Key(key_ID: $0.id.uuidString.lowercased(), key: Data($0.bytes).base64EncodedString()) }
    }
}
