import Foundation
import KeyManagement
import Testing

@Suite("StoredKey")
struct StoredKeyTests {
    @Test func bitCountIsEightBitsPerByte() {
        let key = StoredKey(id: UUID(), bytes: [0xFF, 0x00, 0x81], blockID: 4, createdAt: Date())
        #expect(key.bitCount == 24)
    }

    @Test func equalityComparesEveryField() {
        let original = StoredKey(id: UUID(), bytes: [1, 2], blockID: 7, createdAt: Date(timeIntervalSinceReferenceDate: 5))
        #expect(original == StoredKey(id: original.id, bytes: [1, 2], blockID: 7, createdAt: original.createdAt))
        #expect(original != StoredKey(id: original.id, bytes: [1, 3], blockID: 7, createdAt: original.createdAt))
        #expect(original != StoredKey(id: original.id, bytes: [1, 2], blockID: 8, createdAt: original.createdAt))
        #expect(original != StoredKey(id: UUID(), bytes: [1, 2], blockID: 7, createdAt: original.createdAt))
        #expect(original != StoredKey(id: original.id, bytes: [1, 2], blockID: 7, createdAt: Date(timeIntervalSinceReferenceDate: 6)))
    }
}
