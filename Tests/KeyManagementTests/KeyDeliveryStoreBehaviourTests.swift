import Foundation
import KeyManagement
import QKDCore
import Testing

/// What every ``KeyDeliveryStore`` must do, run on each implementation (``DeliveryStoreKind``):
/// SQLite always, PostgreSQL when `QKD_TEST_POSTGRES_URL` names a database.
@Suite(.timeLimit(.minutes(1))) struct KeyDeliveryStoreBehaviourTests {
    private let pair = SAEPair(master: "SAE_A", slave: "SAE_B")

    /// Runs `body` on a fresh store of `kind` holding `keys`, then closes it.
    private func withStore(
        _ kind: DeliveryStoreKind, holding keys: [StoredKey], instances: Int = 1,
        _ body: (TestDeliveryStore) async throws -> Void
    ) async throws {
        let store = try await TestDeliveryStore(kind, holding: keys, instances: instances)
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    @Test(arguments: DeliveryStoreKind.available)
    func masterThenSlaveGetTheSameKeysOnce(kind: DeliveryStoreKind) async throws {
        let keys = SampleKeys.make(count: 4, blockID: 1)
        try await withStore(kind, holding: keys) { test in
            let store = test.store
            let master = try await store.takeForMaster(count: 2, sizeBits: 256, pair: pair)
            #expect(master.map(\.id) == keys.prefix(2).map(\.id))
            #expect(master.map(\.bytes) == keys.prefix(2).map(\.bytes))
            #expect(try await store.availableBits(in: .all) == 2 * 256)
            #expect(try await store.takeForSlave(ids: master.map(\.id), pair: pair) == master)
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[0].id], pair: pair) }
            #expect(try await store.availableBits(in: .all) == 2 * 256)
        }
    }

    @Test(arguments: DeliveryStoreKind.available, [(8, 1), (248, 1), (256, 1), (264, 2), (512, 2), (1024, 4)])
    func sizesAreCutFromConsecutiveStoredKeys(kind: DeliveryStoreKind, size: (bits: Int, storedKeysUsed: Int)) async throws {
        let keys = SampleKeys.make(count: 8, blockID: 1)
        try await withStore(kind, holding: keys) { test in
            let store = test.store
            let key = try #require(try await store.takeForMaster(count: 1, sizeBits: size.bits, pair: pair).first)
            #expect(key.id == keys[0].id)
            #expect(key.bytes == Array(keys.prefix(size.storedKeysUsed).flatMap(\.bytes).prefix(size.bits / 8)))
            #expect(try await store.availableBits(in: .all) == (8 - size.storedKeysUsed) * 256)
            let next = try #require(try await store.takeForMaster(count: 1, sizeBits: 256, pair: pair).first)
            #expect(next.id == keys[size.storedKeysUsed].id)
            #expect(try await store.takeForSlave(ids: [key.id], pair: pair) == [key])
        }
    }

    @Test(arguments: DeliveryStoreKind.available)
    func tooLittleMaterialTakesNothing(kind: DeliveryStoreKind) async throws {
        try await withStore(kind, holding: SampleKeys.make(count: 3, blockID: 1)) { test async throws in
            await #expect(throws: QKDError(.unavailable, "not enough key material for 2 keys of 512 bits for SAE_A -> SAE_B")) {
                try await test.store.takeForMaster(count: 2, sizeBits: 512, pair: pair)
            }
            #expect(try await test.store.availableBits(in: .all) == 3 * 256)
        }
    }

    @Test(arguments: DeliveryStoreKind.available)
    func slaveRequestsFailWholeOnAnyBadID(kind: DeliveryStoreKind) async throws {
        try await withStore(kind, holding: SampleKeys.make(count: 4, blockID: 1)) { test in
            let store = test.store
            let master = try await store.takeForMaster(count: 2, sizeBits: 256, pair: pair)
            for ids in [[master[0].id, UUID()], [master[0].id, master[0].id]] {
                await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: ids, pair: pair) }
            }
            await #expect(throws: QKDError.self) {
                try await store.takeForSlave(ids: [master[1].id], pair: SAEPair(master: "SAE_A", slave: "SAE_C"))
            }
            #expect(try await store.takeForSlave(ids: master.map(\.id), pair: pair) == master)
        }
    }

    /// A key for several slaves is kept until the last of them has taken it, once each.
    @Test(arguments: DeliveryStoreKind.available)
    func everySlaveOfADeliveryTakesItOnce(kind: DeliveryStoreKind) async throws {
        let keys = SampleKeys.make(count: 3, blockID: 1)
        try await withStore(kind, holding: keys) { test in
            let store = test.store
            let master = try await store.takeForMaster(count: 2, sizeBits: 256, pair: pair, additionalSlaves: ["SAE_C"])
            let second = SAEPair(master: "SAE_A", slave: "SAE_C")
            #expect(try await store.takeForSlave(ids: master.map(\.id), pair: pair) == master)
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[0].id], pair: pair) }
            await #expect(throws: QKDError.self) {
                try await store.takeForSlave(ids: [master[0].id], pair: SAEPair(master: "SAE_A", slave: "SAE_D"))
            }
            #expect(try await store.takeForSlave(ids: master.map(\.id), pair: second) == master)
            await #expect(throws: QKDError.self) { try await store.takeForSlave(ids: [master[1].id], pair: second) }
            #expect(try await store.availableBits(in: .all) == 256)
            #expect(try await store.takeForMaster(count: 1, sizeBits: 256, pair: pair).map(\.id) == [keys[2].id])
        }
    }

    /// Keys the link adds while others wait for their slave, or after the newest were taken by the
    /// slave, are the next ones delivered (masters start after the highest delivered sequence).
    @Test(arguments: DeliveryStoreKind.available)
    func keysAddedAfterDeliveriesAreDeliveredNext(kind: DeliveryStoreKind) async throws {
        let keys = SampleKeys.make(count: 4, blockID: 1)
        try await withStore(kind, holding: keys) { test in
            let store = test.store
            let first = try await store.takeForMaster(count: 4, sizeBits: 256, pair: pair)
            _ = try await store.takeForSlave(ids: [first[2].id, first[3].id], pair: pair)
            let later = SampleKeys.make(count: 3, blockID: 2)
            try await test.insert(later)
            #expect(try await store.availableBits(in: .all) == 3 * 256)
            let second = try await store.takeForMaster(count: 3, sizeBits: 256, pair: pair)
            #expect(second.map(\.id) == later.map(\.id))
            #expect(try await store.takeForSlave(ids: [first[0].id, first[1].id], pair: pair).map(\.bytes) == keys.prefix(2).map(\.bytes))
            _ = try await store.takeForSlave(ids: second.map(\.id), pair: pair)
            let last = SampleKeys.make(count: 1, blockID: 3)
            try await test.insert(last)
            #expect(try await store.takeForMaster(count: 1, sizeBits: 256, pair: pair).map(\.id) == last.map(\.id))
        }
    }

    @Test(arguments: DeliveryStoreKind.available, [0, -1])
    func invalidCountsAndSizesAreRefused(kind: DeliveryStoreKind, count: Int) async throws {
        try await withStore(kind, holding: SampleKeys.make(count: 1, blockID: 1)) { test async throws in
            await #expect(throws: QKDError.self) { try await test.store.takeForMaster(count: count, sizeBits: 256, pair: pair) }
            await #expect(throws: QKDError.self) { try await test.store.takeForMaster(count: 1, sizeBits: 12, pair: pair) }
            await #expect(throws: QKDError.self) { try await test.store.takeForPeerDelivery(count: count, sizeBits: 256, share: .even) }
            #expect(try await test.store.availableBits(in: .all) == 256)
        }
    }

    /// 32 clients on several instances of the store (32 SQLite connections, as 32 KME processes
    /// would have; 4 PostgreSQL connection pools) drain it concurrently: their keys are disjoint
    /// and together exactly the stored keys.
    @Test(arguments: DeliveryStoreKind.available)
    func thirtyTwoConcurrentClientsGetDisjointKeysCoveringTheStore(kind: DeliveryStoreKind) async throws {
        let keys = SampleKeys.make(count: 640, blockID: 1)
        try await withStore(kind, holding: keys, instances: kind == .sqlite ? 32 : 4) { test in
            let pair = pair
            let taken = try await withThrowingTaskGroup(of: [DeliveredKey].self) { group in
                for client in 0..<32 {
                    let store = test.instances[client % test.instances.count]
                    group.addTask {
                        var mine: [DeliveredKey] = []
                        for _ in 0..<100 {
                            do {
                                mine += try await store.takeForMaster(count: 3, sizeBits: 256, pair: pair)
                            } catch let error as QKDError where error.code == .unavailable {
                                break
                            }
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [DeliveredKey]()) { $0 += $1 }
            }
            #expect(Set(taken.map(\.id)).count == taken.count, "no key given twice")
            #expect(taken.count == 639, "640 keys make 213 requests of 3; one key is left")
            #expect(Dictionary(uniqueKeysWithValues: taken.map { ($0.id, $0.bytes) }) ==
                    Dictionary(uniqueKeysWithValues: keys.prefix(639).map { ($0.id, $0.bytes) }))
            #expect(try await test.store.availableBits(in: .all) == 256)
        }
    }

    // MARK: - A KME at each end of the link

    /// The master's KME takes keys of its share only and deletes them; the slave's KME, holding
    /// the same keys, records them and gives the slave the same bits, once.
    @Test(arguments: DeliveryStoreKind.available)
    func peerDeliveriesGiveTheSlaveTheMastersKeysOnce(kind: DeliveryStoreKind) async throws {
        let keys = SampleKeys.make(count: 24, blockID: 1)
        let even = keys.filter { KeyShare.even.contains($0.id) }
        try await withStore(kind, holding: keys) { masterSide in
            try await withStore(kind, holding: keys) { slaveSide in
                let evenBits = even.count * 256
                #expect(try await masterSide.store.availableBits(in: .even) == evenBits)
                #expect(try await masterSide.store.availableBits(in: .odd) == (keys.count - even.count) * 256)

                let deliveries = try await masterSide.store.takeForPeerDelivery(count: 2, sizeBits: 264, share: .even)
                #expect(deliveries.map(\.storedKeyIDs) == [[even[0].id, even[1].id], [even[2].id, even[3].id]])
                #expect(deliveries[0].key.bytes == Array((even[0].bytes + even[1].bytes).prefix(33)))
                #expect(try await masterSide.store.availableBits(in: .even) == evenBits - 4 * 256)
                await #expect(throws: QKDError.self, "the master's KME deleted its copy") {
                    try await masterSide.store.takeForSlave(ids: [deliveries[0].key.id], pair: pair)
                }

                let reservations = deliveries.map { KeyReservation(keyID: $0.key.id, storedKeyIDs: $0.storedKeyIDs) }
                try await slaveSide.store.recordPeerDelivery(reservations, sizeBits: 264, pair: pair, peerShare: .even)
                #expect(try await slaveSide.store.availableBits(in: .even) == evenBits - 4 * 256)
                #expect(try await slaveSide.store.takeForSlave(ids: deliveries.map(\.key.id), pair: pair) == deliveries.map(\.key))
                await #expect(throws: QKDError.self) { try await slaveSide.store.takeForSlave(ids: [deliveries[1].key.id], pair: pair) }

                let odd = try await slaveSide.store.takeForPeerDelivery(count: 1, sizeBits: 256, share: .odd)
                #expect(odd.map(\.key.id) == [keys.first { KeyShare.odd.contains($0.id) }!.id])
            }
        }
    }

    /// A notice the slave's KME cannot honour exactly is refused whole: stored keys of the wrong
    /// share, missing, already delivered, repeated, a key not named by its first stored key, or
    /// more stored keys than the size needs.
    @Test(arguments: DeliveryStoreKind.available)
    func peerNoticesThatDoNotMatchTheStoreAreRefusedWhole(kind: DeliveryStoreKind) async throws {
        let keys = SampleKeys.make(count: 24, blockID: 1)
        let even = keys.filter { KeyShare.even.contains($0.id) }
        let odd = keys.filter { KeyShare.odd.contains($0.id) }
        try await withStore(kind, holding: keys) { test in
            let store = test.store
            try await store.recordPeerDelivery([KeyReservation(keyID: even[0].id, storedKeyIDs: [even[0].id])], sizeBits: 256, pair: pair, peerShare: .even)
            let good = KeyReservation(keyID: even[1].id, storedKeyIDs: [even[1].id])
            let bad: [(KeyReservation, Int)] = [
                (KeyReservation(keyID: odd[0].id, storedKeyIDs: [odd[0].id]), 256),
                (KeyReservation(keyID: even[0].id, storedKeyIDs: [even[0].id]), 256),
                (KeyReservation(keyID: even[5].id, storedKeyIDs: [even[5].id, even[5].id]), 512),
                (KeyReservation(keyID: even[2].id, storedKeyIDs: [even[3].id, even[2].id]), 512),
                (KeyReservation(keyID: even[2].id, storedKeyIDs: [even[2].id, even[3].id]), 256),
                (KeyReservation(keyID: even[2].id, storedKeyIDs: [even[2].id]), 512),
            ]
            for (reservation, sizeBits) in bad {
                await #expect(throws: QKDError.self, "\(reservation)") {
                    try await store.recordPeerDelivery([good, reservation], sizeBits: sizeBits, pair: pair, peerShare: .even)
                }
            }
            let missing = SampleKeys.make(count: 8, blockID: 9).first { KeyShare.even.contains($0.id) }!
            await #expect(throws: QKDError.self) {
                try await store.recordPeerDelivery([KeyReservation(keyID: missing.id, storedKeyIDs: [missing.id])], sizeBits: 256, pair: pair, peerShare: .even)
            }
            await #expect(throws: QKDError.self, "nothing of a refused notice was recorded") {
                try await store.takeForSlave(ids: [good.keyID], pair: pair)
            }
            #expect(try await store.availableBits(in: .even) == (even.count - 1) * 256)
        }
    }
}
