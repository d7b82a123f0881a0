import Photonics
import QKDCore
import Security

/// One frame of an unattended run, as the node saw it: its public counts and the alarm's verdict.
struct StabilityFrame {
    var counts: ThreeStateCounts
    var verdict: LinkAlarm.Verdict
}

/// A stretch of a frame under constant conditions (a frame splits where a fault starts or ends).
struct FrameSegment {
    var slotCount: UInt64
    var conditions: LinkConditions
}

/// Where the frames of an unattended run come from: the event-level emulator with both
/// endpoints distilling keys (`EmulatedStabilityFrames`), or the analytic model with the
/// finite-key bound (`AnalyticStabilityFrames`, `qkd run --accelerated`).
protocol StabilityFrameSource: AnyObject {
    /// Runs the next frame, made of `segments` in order.
    func runFrame(_ segments: [FrameSegment]) throws -> StabilityFrame
    /// The blocks finished since the last call, in order.
    func takeBlocks() -> [BlockReport]
    /// Closes the block in progress at the end of the run.
    func finish() throws
}

/// The frames of `InProcessLink`: the emulator under the run's conditions, Alice's and Bob's
/// endpoints sifting, withholding the frames their alarms pause, and distilling blocks into
/// their key stores.
final class EmulatedStabilityFrames: StabilityFrameSource {
    private let link: InProcessLink
    private var latest: StabilityFrame?

    init(settings: LinkRunSettings, alarm: LinkAlarm) throws {
        link = try InProcessLink(settings: settings, storePaths: try settings.prepareKeyDirectory())
        link.alice.linkAlarm = alarm
        link.bob.linkAlarm = alarm
        link.bob.onSiftedFrame = { [unowned self] counts, verdict in latest = StabilityFrame(counts: counts, verdict: verdict) }
    }

    func runFrame(_ segments: [FrameSegment]) throws -> StabilityFrame {
        var frame: EmulatedFrame?
        for segment in segments {
            link.emulator.setConditions(segment.conditions)
            let part = link.emulator.emulate(slotCount: segment.slotCount)
            if frame == nil { frame = part } else { frame?.append(part) }
        }
        guard let frame else { throw QKDError(.invalidParameter, "a frame needs at least one segment") }
        latest = nil
        try link.deliver(frame)
        guard let frame = latest else {
            throw QKDError(.protocolFailure, "the in-process link did not sift its frame")
        }
        return frame
    }

    func takeBlocks() -> [BlockReport] { link.bob.takeReports() }

    func finish() throws { try link.finish() }
}
