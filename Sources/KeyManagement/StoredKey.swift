import Foundation

/// One key held by a key store: whole bytes of secret key material cut from a distillation block.
public struct StoredKey: Equatable, Sendable {
    /// The identifier Alice and Bob both use to name this key.
    public let id: UUID
    /// The key material, the key's bits most-significant-bit first.
    public let bytes: [UInt8]
    /// The distillation block the key material came from.
    public let blockID: UInt64
    /// When the key was cut from its block.
    public let createdAt: Date

    /// Creates a key from its identifier, material, originating block and creation time.
    public init(id: UUID, bytes: [UInt8], blockID: UInt64, createdAt: Date) {
        self.id = id
        self.bytes = bytes
        self.blockID = blockID
        self.createdAt = createdAt
    }

    /// The length of the key in bits, always `bytes.count * 8`.
    public var bitCount: Int { bytes.count * 8 }
}
