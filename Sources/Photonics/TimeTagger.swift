import QKDCore

/// Bob's time tagger: it keeps a click only inside one of three gate windows per pulse, one per
/// output slot, and assigns it to that slot.
///
/// Window `k` spans `[k τ + gateOffset, k τ + gateOffset + gateWidth)` from the pulse's nominal
/// arrival, where τ is the time-bin separation.
public struct TimeTagger: Sendable, Equatable {
    /// Width of each gate window (s).
    public var gateWidth: Double
    /// Start of window 0 relative to the nominal photon arrival (s); may be negative.
    public var gateOffset: Double

    /// Creates a tagger, validating every parameter.
    public init(gateWidth: Double, gateOffset: Double) throws {
        guard gateWidth > 0 else {
            throw QKDError(.invalidParameter, "tagger gate width must be positive, got \(gateWidth) s")
        }
        self.gateWidth = gateWidth
        self.gateOffset = gateOffset
    }

    /// The slot whose window contains `arrivalTime` (s from the nominal arrival), if any.
    public func slot(forArrivalTime arrivalTime: Double, timeBinSeparation: Double) -> Int? {
        for slot in 0..<3 {
            let start = Double(slot) * timeBinSeparation + gateOffset
            if arrivalTime >= start, arrivalTime < start + gateWidth { return slot }
        }
        return nil
    }
}
