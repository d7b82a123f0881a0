import Distillation
import QKDCore
import Testing

@Suite struct ThreeStateSiftingTests {
    /// Alice's states and Bob's results for six slots: Z/Z match, Z/Z error, + with Bob Z
    /// (discarded), early with Bob X+, + with X-, late with X-.
    let slots: [UInt64] = [3, 5, 8, 9, 12, 20]
    let alice: [UInt8] = [0, 1, 2, 0, 2, 1]
    let bob: [UInt8] = [0, 0, 1, 2, 3, 3]

    @Test func siftingKeepsZBitsAndCountsXEvents() throws {
        let announcement = try ThreeStateSifting.announcement(firstSlot: 0, slotCount: 30, slots: slots, results: bob)
        #expect(announcement.entries == [.z, .z, .z, .xPlus, .xMinus, .xMinus])
        let reply = try ThreeStateSifting.reply(to: announcement, aliceStates: alice)
        #expect(reply.entries == [.z, .z, .plus, .early, .plus, .late])
        let aliceSide = try ThreeStateSifting.aliceOutcome(announcement: announcement, reply: reply, aliceStates: alice)
        let bobSide = try ThreeStateSifting.bobOutcome(announcement: announcement, reply: reply, bobResults: bob)
        #expect(aliceSide.keyBits == [false, true])
        #expect(bobSide.keyBits == [false, false])
        #expect(aliceSide.counts == bobSide.counts, "both sides derive the same public counts")
        #expect(aliceSide.counts.siftedZ == 2)
        #expect(aliceSide.counts.count(state: 0, result: 2) == 1)
        #expect(aliceSide.counts.count(state: 2, result: 3) == 1)
        #expect(aliceSide.counts.count(state: 1, result: 3) == 1)
        #expect(aliceSide.counts.siftedX == 1)
        #expect(aliceSide.counts.pulses == 30)
    }

    @Test func inconsistentRepliesAreRefused() throws {
        let announcement = try ThreeStateSifting.announcement(firstSlot: 0, slotCount: 30, slots: slots, results: bob)
        let short = SiftingReply(firstSlot: 0, entries: [.z])
        #expect(throws: QKDError.self) { try ThreeStateSifting.bobOutcome(announcement: announcement, reply: short, bobResults: bob) }
        let revealing = SiftingReply(firstSlot: 0, entries: [.early, .z, .plus, .early, .plus, .late])
        #expect(throws: QKDError.self) { try ThreeStateSifting.bobOutcome(announcement: announcement, reply: revealing, bobResults: bob) }
        #expect(throws: QKDError.self) { try ThreeStateSifting.reply(to: announcement, aliceStates: [0]) }
        #expect(throws: QKDError.self) { try ThreeStateSifting.announcement(firstSlot: 0, slotCount: 30, slots: [1], results: [7]) }
    }
}
