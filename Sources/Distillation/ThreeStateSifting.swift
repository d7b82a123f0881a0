import QKDCore
import Security

/// Sifting of the three-state protocol, as pure functions on each side's private records and the
/// two public messages. Alice's states and Bob's results are indexed as in `ThreeStateCounts`
/// (states: 0 early, 1 late, 2 plus; results: 0 Z-early, 1 Z-late, 2 X-plus, 3 X-minus).
///
/// Public counts: every X-basis result with Alice's state, and the number of sifted Z bits
/// (Alice Z, Bob Z). Z errors are learnt only by error correction. Bob's Z results on |+> are
/// discarded unrevealed; their total is recorded under Z-early of state plus.
public enum ThreeStateSifting {
    /// One frame's sifted key bits (Alice's or Bob's values, in slot order) and its public counts
    /// (with Z results of Z states all recorded as correct until error correction says otherwise).
    public struct Outcome: Sendable {
        /// The sifted Z bits of this side.
        public var keyBits: [Bool]
        /// The frame's public counts.
        public var counts: ThreeStateCounts
    }

    /// Bob's announcement of his results (`results[i]` in `slots[i]`).
    public static func announcement(
        firstSlot: UInt64, slotCount: UInt64, slots: [UInt64], results: [UInt8]
    ) throws -> SiftingAnnouncement {
        let entries: [SiftingAnnouncement.Entry] = try results.map { result in
            switch result {
            case 0, 1: return .z
            case 2: return .xPlus
            case 3: return .xMinus
            default: throw QKDError(.invalidParameter, "Bob's result code \(result) is not one of 0...3")
            }
        }
        return try SiftingAnnouncement(firstSlot: firstSlot, slotCount: slotCount, slots: slots, entries: entries)
    }

    /// Alice's reply, given her state for each announced slot.
    public static func reply(to announcement: SiftingAnnouncement, aliceStates: [UInt8]) throws -> SiftingReply {
        guard aliceStates.count == announcement.entries.count else {
            throw QKDError(.invalidParameter, "Alice has \(aliceStates.count) states for \(announcement.entries.count) announced results")
        }
        let entries: [SiftingReply.Entry] = try zip(announcement.entries, aliceStates).map { entry, state in
            guard state < 3 else { throw QKDError(.invalidParameter, "Alice's state code \(state) is not one of 0...2") }
            if state == 2 { return .plus }
            if entry == .z { return .z }
            return state == 0 ? .early : .late
        }
        return SiftingReply(firstSlot: announcement.firstSlot, entries: entries)
    }

    /// Alice's sifted bits and the public counts.
    public static func aliceOutcome(
        announcement: SiftingAnnouncement, reply: SiftingReply, aliceStates: [UInt8]
    ) throws -> Outcome {
        try outcome(announcement: announcement, reply: reply) { index in aliceStates[index] == 1 }
    }

    /// Bob's sifted bits and the public counts.
    public static func bobOutcome(
        announcement: SiftingAnnouncement, reply: SiftingReply, bobResults: [UInt8]
    ) throws -> Outcome {
        try outcome(announcement: announcement, reply: reply) { index in bobResults[index] == 1 }
    }

    private static func outcome(
        announcement: SiftingAnnouncement, reply: SiftingReply, keyBit: (Int) -> Bool
    ) throws -> Outcome {
        guard reply.firstSlot == announcement.firstSlot, reply.entries.count == announcement.entries.count else {
            throw QKDError(.malformedInput, "sifting reply for frame \(reply.firstSlot) with \(reply.entries.count) entries does not match announcement for frame \(announcement.firstSlot) with \(announcement.entries.count)")
        }
        var counts = [[UInt64]](repeating: [0, 0, 0, 0], count: 3)
        var keyBits: [Bool] = []
        keyBits.reserveCapacity(announcement.entries.count / 2)
        for index in announcement.entries.indices {
            let bob = announcement.entries[index]
            let alice = reply.entries[index]
            switch (bob, alice) {
            case (.z, .z):
                keyBits.append(keyBit(index))
                counts[0][0] += 1
            case (.z, .plus):
                counts[2][0] += 1
            case (.z, _):
                throw QKDError(.malformedInput, "sifting reply reveals a Z state's value for Bob's Z result at slot \(announcement.slots[index])")
            case (_, .z):
                throw QKDError(.malformedInput, "sifting reply hides Alice's state for Bob's X result at slot \(announcement.slots[index])")
            case (.xPlus, _), (.xMinus, _):
                let state = alice == .early ? 0 : alice == .late ? 1 : 2
                counts[state][Int(bob.rawValue)] += 1
            }
        }
        let frameCounts = try ThreeStateCounts(pulses: announcement.slotCount, counts: counts)
        return Outcome(keyBits: keyBits, counts: frameCounts)
    }
}
