import Foundation
import KeyManagement
import QKDCore
import Testing

@Suite("KeyChunker")
struct KeyChunkerTests {
    @Test func thousandBitsMakeThreeKeysOf256BitsAnd232Leftover() throws {
        var generator = SeededGenerator(seed: 7)
        let secret = BitVector(randomCount: 1000, using: &generator)
        let ids = KeyChunker.randomIdentifiers(count: 3, using: &generator)
        let createdAt = Date(timeIntervalSinceReferenceDate: 1234.5)

        let chunks = try KeyChunker().chunk(secret, blockID: 17, identifiers: ids, createdAt: createdAt)

        #expect(chunks.keys.count == 3)
        #expect(chunks.leftoverBitCount == 232)
        #expect(chunks.keys.map(\.id) == ids)
        for (index, key) in chunks.keys.enumerated() {
            #expect(key.bitCount == 256)
            #expect(key.bytes.count == 32)
            #expect(key.blockID == 17)
            #expect(key.createdAt == createdAt)
            let keyBits = BitVector(bytesMSBFirst: key.bytes, count: 256)
            #expect(keyBits == secret.slice(index * 256..<(index + 1) * 256))
            #expect(keyBits[0] == secret[index * 256])
            #expect(keyBits[255] == secret[index * 256 + 255])
        }
    }

    @Test func firstByteHoldsTheFirstBitsMostSignificantFirst() throws {
        let secret = BitVector(bits: [true, false, false, false, false, false, false, true] + [Bool](repeating: false, count: 8))
        let chunks = try KeyChunker(keySizeBits: 8).chunk(secret, blockID: 0, identifiers: [UUID(), UUID()])
        #expect(chunks.keys.map(\.bytes) == [[0x81], [0x00]])
        #expect(chunks.leftoverBitCount == 0)
    }

    @Test func secretShorterThanOneKeyIsAllLeftover() throws {
        let chunker = try KeyChunker(keySizeBits: 64)
        let chunks = try chunker.chunk(BitVector(count: 63), blockID: 2, identifiers: [])
        #expect(chunks.keys.isEmpty)
        #expect(chunks.leftoverBitCount == 63)
        #expect(chunker.keyCount(secretBitCount: 63) == 0)
        #expect(chunker.keyCount(secretBitCount: 128) == 2)
    }

    @Test(arguments: [0, -8, 12, 255])
    func keySizeThatIsNotAPositiveMultipleOf8IsRejected(keySizeBits: Int) {
        let error = #expect(throws: QKDError.self) { try KeyChunker(keySizeBits: keySizeBits) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("\(keySizeBits)") == true)
    }

    @Test func defaultKeySizeIs256Bits() throws {
        #expect(try KeyChunker().keySizeBits == 256)
    }

    @Test func wrongNumberOfIdentifiersIsRejected() throws {
        let chunker = try KeyChunker(keySizeBits: 256)
        let secret = BitVector(count: 600)
        let error = #expect(throws: QKDError.self) {
            try chunker.chunk(secret, blockID: 9, identifiers: [UUID()])
        }
        #expect(error?.code == .invalidParameter)
        #expect(throws: QKDError.self) {
            try chunker.chunk(secret, blockID: 9, identifiers: [UUID(), UUID(), UUID()])
        }
    }

    @Test func repeatedIdentifiersAreRejected() throws {
        let id = UUID()
        let error = #expect(throws: QKDError.self) {
            try KeyChunker(keySizeBits: 8).chunk(BitVector(count: 16), blockID: 1, identifiers: [id, id])
        }
        #expect(error?.code == .invalidParameter)
    }

    @Test func seededIdentifiersAreReproducible() {
        var first = SeededGenerator(seed: 2024)
        var second = SeededGenerator(seed: 2024)
        var other = SeededGenerator(seed: 2025)
        let ids = KeyChunker.randomIdentifiers(count: 50, using: &first)
        #expect(ids == KeyChunker.randomIdentifiers(count: 50, using: &second))
        #expect(ids != KeyChunker.randomIdentifiers(count: 50, using: &other))
        #expect(Set(ids).count == 50)
    }

    @Test func identifiersAreVersion4WithTheRFC4122Variant() {
        var generator = SeededGenerator(seed: 99)
        for id in KeyChunker.randomIdentifiers(count: 200, using: &generator) {
            let text = id.uuidString
            let characters = Array(text)
            #expect(characters[14] == "4")
            #expect(["8", "9", "A", "B"].contains(characters[19]))
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
        }
    }
}
