/// One record of Alice's stream: the state and intensity she prepared in a pulse slot.
public struct AliceRecord: Sendable, Equatable {
    /// Pulse index since the start of the run.
    public var slot: UInt64
    /// The prepared state.
    public var state: PreparedState
    /// The intensity index (0 = signal; always 0 for the quantum-dot source).
    public var intensity: UInt8

    /// Creates a record.
    public init(slot: UInt64, state: PreparedState, intensity: UInt8 = 0) {
        self.slot = slot
        self.state = state
        self.intensity = intensity
    }
}

/// One record of Bob's stream: a click of one detector, time-tagged.
public struct BobDetection: Sendable, Equatable {
    /// Pulse index since the start of the run.
    public var slot: UInt64
    /// Which detector clicked (0: the port bright for |+>, 1: the other).
    public var detector: UInt8
    /// Arrival time relative to the pulse's nominal early-bin arrival (ps).
    public var arrivalPicoseconds: Int64

    /// Creates a record.
    public init(slot: UInt64, detector: UInt8, arrivalPicoseconds: Int64) {
        self.slot = slot
        self.detector = detector
        self.arrivalPicoseconds = arrivalPicoseconds
    }
}

/// What the emulated optics produced for a range of pulse slots, as two streams that are handed
/// to two different parties: Alice's node reads only `alice`, Bob's node only `bob`.
public struct EmulatedFrame: Sendable {
    /// First slot of the frame.
    public var firstSlot: UInt64
    /// Number of pulses in the frame.
    public var slotCount: UInt64
    /// Alice's preparations, in slot order, for every slot in which a click was possible (the
    /// candidates of the thinning step, a superset of Bob's detected slots). Preparations of the
    /// other slots influence nothing downstream and are not materialised.
    public var alice: [AliceRecord]
    /// Bob's clicks, in slot order.
    public var bob: [BobDetection]

    /// Extends the frame by `next`, the frame emulated right after it (for instance under other
    /// conditions), so that the two are handed on as one.
    public mutating func append(_ next: EmulatedFrame) {
        precondition(next.firstSlot == firstSlot + slotCount, "frames must follow each other")
        slotCount += next.slotCount
        alice += next.alice
        bob += next.bob
    }
}
