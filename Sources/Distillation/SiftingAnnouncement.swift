import QKDCore

/// Bob's public announcement for one frame of pulses: in which slots he obtained a result, in
/// which basis, and, for X-basis results only, the outcome (X results are used for estimation,
/// never for key).
public struct SiftingAnnouncement: Sendable, Equatable {
    /// What Bob reveals about one result.
    public enum Entry: UInt8, Sendable {
        /// A Z-basis result; its value stays secret.
        case z = 0
        /// X basis, outcome + (detector 0).
        case xPlus = 2
        /// X basis, outcome - (detector 1).
        case xMinus = 3
    }

    /// First pulse slot of the frame.
    public var firstSlot: UInt64
    /// Pulses in the frame.
    public var slotCount: UInt64
    /// Slots with a result, strictly increasing, within the frame.
    public var slots: [UInt64]
    /// One entry per slot.
    public var entries: [Entry]

    /// Creates an announcement, validating that slots are increasing, inside the frame, and
    /// match the entries one to one.
    public init(firstSlot: UInt64, slotCount: UInt64, slots: [UInt64], entries: [Entry]) throws {
        guard slots.count == entries.count else {
            throw QKDError(.malformedInput, "sifting announcement has \(slots.count) slots but \(entries.count) entries")
        }
        var previous: UInt64? = nil
        for slot in slots {
            guard slot >= firstSlot, slot - firstSlot < slotCount else {
                throw QKDError(.malformedInput, "sifting announcement slot \(slot) lies outside frame [\(firstSlot), \(firstSlot &+ slotCount))")
            }
            if let previous, slot <= previous {
                throw QKDError(.malformedInput, "sifting announcement slots are not strictly increasing at slot \(slot)")
            }
            previous = slot
        }
        self.firstSlot = firstSlot
        self.slotCount = slotCount
        self.slots = slots
        self.entries = entries
    }
}
