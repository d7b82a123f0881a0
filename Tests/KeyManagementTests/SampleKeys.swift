import Foundation
import KeyManagement
import QKDCore

/// Reproducible keys for tests: random material and IDs from a seeded generator.
enum SampleKeys {
    /// `count` keys of `byteCount` bytes from block `blockID`, created at a time with a fractional
    /// second so that time round trips are checked to full precision.
    static func make(count: Int, blockID: UInt64, byteCount: Int = 32, seed: UInt64 = 1) -> [StoredKey] {
        var generator = SeededGenerator(seed: seed, stream: "sample keys \(blockID)")
        let ids = KeyChunker.randomIdentifiers(count: count, using: &generator)
        return ids.enumerated().map { index, id in
            StoredKey(
                id: id,
                bytes: (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) },
                blockID: blockID,
                createdAt: Date(timeIntervalSinceReferenceDate: 800_000_000.123_456_7 + Double(index))
            )
        }
    }
}
