import Photonics

/// What became of one injected fault in an unattended run (`qkd run --fault`).
public struct FaultReport: Sendable, Codable, Equatable {
    /// What went wrong.
    public var kind: InjectedFault.Kind
    /// Link time at which it started (s).
    public var startSeconds: Double
    /// How long it lasted (s).
    public var durationSeconds: Double
    /// Link time from the fault's end to the start of the first frame after it whose key output
    /// was not paused (s), nil if key output did not resume before the run ended.
    public var resumeSeconds: Double?
    /// Link time inside the fault that fell in frames whose key output was not paused (s): 0
    /// when no key comes from the faulty interval.
    public var unpausedFaultSeconds = 0.0

    /// Starts the report of `fault`.
    public init(fault: InjectedFault) {
        kind = fault.kind
        startSeconds = fault.startSeconds
        durationSeconds = fault.durationSeconds
    }

    /// Takes one frame of the run, in order.
    mutating func observe(frameStart: Double, frameEnd: Double, paused: Bool) {
        let end = startSeconds + durationSeconds
        let overlap = min(frameEnd, end) - max(frameStart, startSeconds)
        if overlap > 0, !paused { unpausedFaultSeconds += overlap }
        if resumeSeconds == nil, frameEnd > end, !paused { resumeSeconds = max(0, frameStart - end) }
    }
}
