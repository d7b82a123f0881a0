import Benchmark
import Distillation
import QKDCore

/// One frame of detections of the three-state protocol, as Alice and Bob record them: Alice's
/// state per detected slot (0 early, 1 late, 2 plus) and Bob's result (0 Z-early, 1 Z-late,
/// 2 X-plus, 3 X-minus), with the basis choices and a Z error rate near those of the reference
/// link (Z sent and measured with probability 0.9, 7 % Z errors, 10 % X errors).
struct DetectionFrame {
    let slotCount: UInt64
    let slots: [UInt64]
    let aliceStates: [UInt8]
    let bobResults: [UInt8]

    /// Draws `detections` detections spread over about 1000 times as many slots, from stream
    /// `benchmark-sifting` of seed 1.
    init(detections: Int) {
        var generator = SeededGenerator(seed: 1, stream: "benchmark-sifting")
        var slots: [UInt64] = []
        var aliceStates: [UInt8] = []
        var bobResults: [UInt8] = []
        slots.reserveCapacity(detections)
        aliceStates.reserveCapacity(detections)
        bobResults.reserveCapacity(detections)
        var slot: UInt64 = 0
        for _ in 0..<detections {
            slot += 1 + min(generator.nextGeometricGap(successProbability: 1e-3), 1 << 20)
            let state: UInt8 = generator.nextBernoulli(0.9) ? (generator.nextBernoulli(0.5) ? 1 : 0) : 2
            let result: UInt8
            if generator.nextBernoulli(0.9) {
                result = state == 2 ? (generator.nextBernoulli(0.5) ? 1 : 0) : state ^ (generator.nextBernoulli(0.07) ? 1 : 0)
            } else {
                let correct = state == 2 ? !generator.nextBernoulli(0.1) : generator.nextBernoulli(0.5)
                result = correct ? 2 : 3
            }
            slots.append(slot)
            aliceStates.append(state)
            bobResults.append(result)
        }
        self.slotCount = slot + 1
        self.slots = slots
        self.aliceStates = aliceStates
        self.bobResults = bobResults
    }

    /// Runs both sides of sifting: Bob's announcement, Alice's reply, and each side's sifted bits
    /// and public counts. Returns the number of sifted bits.
    func sift() throws -> Int {
        let announcement = try ThreeStateSifting.announcement(firstSlot: 0, slotCount: slotCount, slots: slots, results: bobResults)
        let reply = try ThreeStateSifting.reply(to: announcement, aliceStates: aliceStates)
        let alice = try ThreeStateSifting.aliceOutcome(announcement: announcement, reply: reply, aliceStates: aliceStates)
        let bob = try ThreeStateSifting.bobOutcome(announcement: announcement, reply: reply, bobResults: bobResults)
        blackHole(bob)
        return alice.keyBits.count
    }
}
