import Foundation
import KeyManagement
import QKDCore
import Testing

/// The implementations every behavioural check runs on.
enum KeyStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case memory

    var testDescription: String { rawValue }

    /// A new, empty store of this kind; an SQLite store lives in `directory`.
    func makeStore(in directory: TemporaryDirectory) throws -> any KeyStore {
        switch self {
        case .sqlite: try SQLiteKeyStore(path: directory.file("keys.sqlite"))
        case .memory: MemoryKeyStore()
        }
    }
}

/// The `KeyStore` contract, checked once and run on every implementation.
@Suite("KeyStore behaviour")
struct KeyStoreBehaviourTests {
    @Test(arguments: KeyStoreKind.allCases)
    func emptyStoreHoldsNothing(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        #expect(try store.count() == 0)
        #expect(try store.totalBits() == 0)
        #expect(try store.keyIDs().isEmpty)
        #expect(try store.blockIDs().isEmpty)
        #expect(try store.key(id: UUID()) == nil)
        #expect(try store.remove(id: UUID()) == nil)
    }

    @Test(arguments: KeyStoreKind.allCases)
    func insertedKeysComeBackUnchanged(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let keys = SampleKeys.make(count: 3, blockID: 11) + SampleKeys.make(count: 1, blockID: 12, byteCount: 16)
        try store.insert(keys)

        for key in keys {
            #expect(try store.key(id: key.id) == key)
        }
        #expect(try store.count() == 4)
        #expect(try store.totalBits() == 3 * 256 + 128)
    }

    @Test(arguments: KeyStoreKind.allCases)
    func keyIDsFollowInsertionOrder(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let first = SampleKeys.make(count: 5, blockID: 1)
        let second = SampleKeys.make(count: 5, blockID: 2)
        try store.insert(first)
        try store.insert(second)
        #expect(try store.keyIDs() == (first + second).map(\.id))
    }

    @Test(arguments: KeyStoreKind.allCases)
    func duplicateOfStoredKeyInsertsNothing(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let stored = SampleKeys.make(count: 2, blockID: 1)
        try store.insert(stored)
        let fresh = SampleKeys.make(count: 2, blockID: 2)
        let batch = [fresh[0], stored[1], fresh[1]]

        let error = try #require(throws: QKDError.self) { try store.insert(batch) }
        #expect(error.code == .invalidParameter)
        #expect(error.message.contains(stored[1].id.uuidString))
        #expect(try store.count() == 2)
        #expect(try store.key(id: fresh[0].id) == nil)
        #expect(try store.key(id: fresh[1].id) == nil)
        #expect(try store.keyIDs() == stored.map(\.id))
    }

    @Test(arguments: KeyStoreKind.allCases)
    func duplicateWithinBatchInsertsNothing(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let keys = SampleKeys.make(count: 2, blockID: 1)

        #expect(throws: QKDError.self) { try store.insert([keys[0], keys[1], keys[0]]) }
        #expect(try store.count() == 0)
        #expect(try store.totalBits() == 0)
    }

    @Test(arguments: KeyStoreKind.allCases)
    func removeReturnsTheKeyThenForgetsIt(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let keys = SampleKeys.make(count: 3, blockID: 5)
        try store.insert(keys)

        #expect(try store.remove(id: keys[1].id) == keys[1])
        #expect(try store.remove(id: keys[1].id) == nil)
        #expect(try store.key(id: keys[1].id) == nil)
        #expect(try store.count() == 2)
        #expect(try store.totalBits() == 512)
        #expect(try store.keyIDs() == [keys[0].id, keys[2].id])
    }

    @Test(arguments: KeyStoreKind.allCases)
    func keysInsertedAfterRemovalComeLast(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let keys = SampleKeys.make(count: 3, blockID: 5)
        try store.insert(keys)
        _ = try store.remove(id: keys[2].id)
        _ = try store.remove(id: keys[0].id)
        let later = SampleKeys.make(count: 2, blockID: 6)
        try store.insert(later)
        #expect(try store.keyIDs() == [keys[1].id, later[0].id, later[1].id])
    }

    @Test(arguments: KeyStoreKind.allCases)
    func oldestKeysStopAtTheRequestedBitsSkipRemovedKeysAndPutReinsertedKeysLast(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let keys = SampleKeys.make(count: 6, blockID: 3)
        try store.insert(keys)
        _ = try store.remove(id: keys[1].id)
        _ = try store.remove(id: keys[3].id)
        #expect(try store.oldestKeys(holdingAtLeast: 0) == [])
        #expect(try store.oldestKeys(holdingAtLeast: 256) == [keys[0]])
        #expect(try store.oldestKeys(holdingAtLeast: 257) == [keys[0], keys[2]])
        #expect(try store.oldestKeys(holdingAtLeast: 10_000) == [keys[0], keys[2], keys[4], keys[5]])
        _ = try store.remove(id: keys[0].id)
        try store.insert([keys[0]])
        #expect(try store.oldestKeys(holdingAtLeast: 10_000) == [keys[2], keys[4], keys[5], keys[0]])
        #expect(try store.keyIDs() == [keys[2], keys[4], keys[5], keys[0]].map(\.id))
    }

    /// Seeded random removals (mostly not of the oldest key) and reinsertions, checked after
    /// every step against a plain array: the bookkeeping that spares `oldestKeys` a scan (the
    /// in-memory store drops and compacts stale entries) never loses, repeats or reorders a key.
    @Test(arguments: KeyStoreKind.allCases)
    func oldestKeysAgreeWithAPlainListThroughRandomRemovalsAndReinsertions(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let keys = SampleKeys.make(count: 200, blockID: 4)
        try store.insert(keys)
        var expected = keys
        var removed: [StoredKey] = []
        var generator = SeededGenerator(seed: 11, stream: "key store removals")
        for step in 0..<400 {
            if !removed.isEmpty, step % 5 == 4 {
                let key = removed.remove(at: Int.random(in: removed.indices, using: &generator))
                try store.insert([key])
                expected.append(key)
            } else if !expected.isEmpty {
                let key = expected.remove(at: Int.random(in: expected.indices, using: &generator))
                #expect(try store.remove(id: key.id) == key)
                removed.append(key)
            }
            let bits = Int.random(in: 1...2048, using: &generator)
            #expect(try store.oldestKeys(holdingAtLeast: bits) == Array(expected.prefix((bits + 255) / 256)), "step \(step)")
            #expect(try store.totalBits() == expected.count * 256)
        }
        #expect(try store.keyIDs() == expected.map(\.id))
    }

    @Test(arguments: KeyStoreKind.allCases)
    func blockIDsAreDistinctAndAscending(kind: KeyStoreKind) throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let largestBlock = UInt64.max - 1
        try store.insert(SampleKeys.make(count: 2, blockID: 9))
        try store.insert(SampleKeys.make(count: 1, blockID: largestBlock))
        try store.insert(SampleKeys.make(count: 3, blockID: 2))
        try store.insert(SampleKeys.make(count: 1, blockID: 9, seed: 2))

        #expect(try store.blockIDs() == [2, 9, largestBlock])
        let largeBlockKey = try #require(try store.keyIDs().dropFirst(2).first)
        #expect(try store.key(id: largeBlockKey)?.blockID == largestBlock)
    }

    @Test(arguments: KeyStoreKind.allCases)
    func concurrentInsertsAndRemovalsAreAllApplied(kind: KeyStoreKind) async throws {
        let directory = try TemporaryDirectory()
        let store = try kind.makeStore(in: directory)
        let batches = (0..<8).map { SampleKeys.make(count: 10, blockID: UInt64($0)) }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in batches {
                group.addTask {
                    try store.insert(batch)
                    _ = try store.remove(id: batch[0].id)
                }
            }
            try await group.waitForAll()
        }

        #expect(try store.count() == 8 * 9)
        #expect(Set(try store.keyIDs()) == Set(batches.flatMap { $0.dropFirst() }.map(\.id)))
        #expect(try store.blockIDs() == Array(0..<8))
    }
}
