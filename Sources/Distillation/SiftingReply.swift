import QKDCore

/// Alice's public reply to a `SiftingAnnouncement`: for each of Bob's results, her basis, and for
/// Bob's X-basis results her full state (those events are used for parameter estimation only).
public struct SiftingReply: Sendable, Equatable {
    /// What Alice reveals about one of Bob's results.
    public enum Entry: UInt8, Sendable {
        /// Alice sent a Z state; for Bob's Z results this is a sifted key bit (value secret).
        case z = 0
        /// Alice sent |early> (revealed only for Bob's X results).
        case early = 1
        /// Alice sent |late> (revealed only for Bob's X results).
        case late = 2
        /// Alice sent |+>.
        case plus = 3
    }

    /// First slot of the frame it answers.
    public var firstSlot: UInt64
    /// One entry per announced result, in order.
    public var entries: [Entry]

    /// Creates a reply.
    public init(firstSlot: UInt64, entries: [Entry]) {
        self.firstSlot = firstSlot
        self.entries = entries
    }
}
