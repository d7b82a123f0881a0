import Foundation
import QKDCore

/// Cuts the secret key of a distillation block into keys of one fixed size, named by identifiers
/// the caller supplies (Alice draws them with ``randomIdentifiers(count:using:)`` and sends them
/// to Bob, so that both sides store the same key under the same ID).
public struct KeyChunker: Sendable {
    /// The key size used when none is given: 256 bits.
    public static let defaultKeySizeBits = 256

    /// The size of every key, in bits; a positive multiple of 8.
    public let keySizeBits: Int

    /// Creates a chunker for keys of `keySizeBits` bits; throws `QKDError` `.invalidParameter`
    /// unless the size is a positive multiple of 8.
    public init(keySizeBits: Int = KeyChunker.defaultKeySizeBits) throws {
        guard keySizeBits > 0, keySizeBits % 8 == 0 else {
            throw QKDError(.invalidParameter, "key size \(keySizeBits) bits is not a positive multiple of 8")
        }
        self.keySizeBits = keySizeBits
    }

    /// The number of whole keys a secret key of `secretBitCount` bits yields.
    public func keyCount(secretBitCount: Int) -> Int {
        max(secretBitCount, 0) / keySizeBits
    }

    /// Cuts `secretKey` into ``keyCount(secretBitCount:)`` keys, the first key taking the first
    /// ``keySizeBits`` bits, and so on; key `i` is named `identifiers[i]`.
    ///
    /// Throws `QKDError` `.invalidParameter` if `identifiers` does not hold exactly one distinct
    /// identifier per key.
    public func chunk(
        _ secretKey: BitVector,
        blockID: UInt64,
        identifiers: [UUID],
        createdAt: Date = Date()
    ) throws -> KeyChunks {
        let wholeKeyCount = keyCount(secretBitCount: secretKey.count)
        guard identifiers.count == wholeKeyCount else {
            throw QKDError(
                .invalidParameter,
                "block \(blockID): \(secretKey.count) secret bits make \(wholeKeyCount) keys of \(keySizeBits) bits, but \(identifiers.count) key IDs were given"
            )
        }
        guard Set(identifiers).count == identifiers.count else {
            throw QKDError(.invalidParameter, "block \(blockID): the key IDs given are not all distinct")
        }
        let keys = identifiers.enumerated().map { index, id in
            let start = index * keySizeBits
            return StoredKey(
                id: id,
                bytes: secretKey.slice(start..<start + keySizeBits).bytesMSBFirst,
                blockID: blockID,
                createdAt: createdAt
            )
        }
        return KeyChunks(keys: keys, leftoverBitCount: secretKey.count - wholeKeyCount * keySizeBits)
    }

    /// `count` RFC 4122 version-4 (random) UUIDs drawn from `generator`, so that a seeded run
    /// names its keys reproducibly. `count` must not be negative.
    public static func randomIdentifiers<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> [UUID] {
        precondition(count >= 0, "identifier count must not be negative")
        return (0..<count).map { _ in
            var bytes = [UInt8]()
            bytes.reserveCapacity(16)
            for _ in 0..<2 {
                let word = generator.next()
                bytes += (0..<8).map { UInt8(truncatingIfNeeded: word >> (56 - 8 * $0)) }
            }
            bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4
            bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant (binary 10)
            return UUID(uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
        }
    }
}
