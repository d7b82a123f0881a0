import Foundation

/// A key handed to an SAE: its identifier and its material, the key's bits most-significant-bit
/// first. Its description never shows the material.
public struct DeliveredKey: Equatable, Sendable, CustomStringConvertible {
    /// The key's identifier, the same for the master and the slave.
    public let id: UUID
    /// The key material.
    public let bytes: [UInt8]

    /// Creates a delivered key from its identifier and material.
    public init(id: UUID, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
    }

    /// The key's length in bits, always `bytes.count * 8`.
    public var bitCount: Int { bytes.count * 8 }

    /// The identifier and the length, never the material.
    public var description: String { "key \(id) (\(bitCount) bits)" }
}
