import Security

/// The QBER alarm: a frame whose X-basis error rate exceeds `maximumQBERX` raises it, and the
/// block that holds the frame is aborted on both sides (no key is distilled from it; its bits
/// are revealed for the report). The next block starts with the next frame, so key output
/// resumes on its own as soon as the frames are back in bounds.
///
/// The rule reads only public counts (Bob's X results on Alice's revealed |+> states), so Alice
/// and Bob apply it identically without another message. Aborting a whole block on a public test
/// outcome is the ordinary abort of the protocol; the blocks that go on to distillation are
/// still analysed with their own measured X QBER. A frame with fewer than `minimumXCounts` X
/// results is not judged (too few to tell a fault from noise).
public struct QBERAlarm: Sendable, Equatable {
    /// The largest X-basis QBER of a frame that does not raise the alarm.
    public var maximumQBERX: Double
    /// The fewest X results on |+> a frame must hold to be judged.
    public var minimumXCounts: UInt64

    /// Creates the alarm rule.
    public init(maximumQBERX: Double, minimumXCounts: UInt64 = 100) {
        self.maximumQBERX = maximumQBERX
        self.minimumXCounts = minimumXCounts
    }

    /// Whether the frame of `counts` raises the alarm.
    public func isRaised(by counts: ThreeStateCounts) -> Bool {
        counts.siftedX >= minimumXCounts && counts.qberX > maximumQBERX
    }
}
