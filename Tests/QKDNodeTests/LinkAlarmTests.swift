import QKDNode
import Security
import Testing

/// A frame of `pulses` with `zResults` correct Z results and `xResults` X results on |+>, of which
/// `xErrors` are errors.
private func frame(pulses: UInt64 = 1_000_000, zResults: UInt64 = 10_000, xResults: UInt64 = 5_000, xErrors: UInt64 = 500) throws -> ThreeStateCounts {
    try ThreeStateCounts(pulses: pulses, counts: [
        [zResults / 2, 0, 0, 0], [0, zResults - zResults / 2, 0, 0], [0, 0, xResults - xErrors, xErrors],
    ])
}

@Suite struct LinkAlarmTests {
    @Test func healthyFramesPassAndSetTheReference() throws {
        var alarm = LinkAlarm(maximumQBERX: 0.15)
        for _ in 0..<3 { #expect(alarm.judge(try frame()) == LinkAlarm.Verdict(paused: false, fault: nil)) }
        #expect(alarm.referenceRate == 0.015)
    }

    /// The QBER rule withholds the frames after a faulty one, never the faulty frame itself (its
    /// own X errors must not decide whether it is kept), until a frame is healthy again.
    @Test func qberAboveTheLimitPausesTheFollowingFramesUntilAHealthyOne() throws {
        var alarm = LinkAlarm(maximumQBERX: 0.15)
        _ = alarm.judge(try frame())
        #expect(alarm.judge(try frame(xErrors: 800)) == LinkAlarm.Verdict(paused: false, fault: .qber))
        #expect(alarm.isPaused)
        #expect(alarm.judge(try frame(xErrors: 800)) == LinkAlarm.Verdict(paused: true, fault: .qber))
        #expect(alarm.judge(try frame(xErrors: 700)) == LinkAlarm.Verdict(paused: true, fault: nil), "paused for the frame before")
        #expect(alarm.judge(try frame(xErrors: 700)) == LinkAlarm.Verdict(paused: false, fault: nil))
        #expect(!alarm.isPaused)
    }

    /// Whether a frame is kept never depends on its own X errors: two runs that differ only in
    /// one frame's X errors keep the same frames up to and including that frame.
    @Test func keepingAFrameDoesNotDependOnItsOwnErrors() throws {
        for errors in [100 as UInt64, 500, 760, 2_000] {
            var alarm = LinkAlarm(maximumQBERX: 0.15)
            _ = alarm.judge(try frame())
            #expect(alarm.judge(try frame(xErrors: errors)).paused == false, "\(errors) X errors")
        }
    }

    @Test func tooFewXResultsAreNotJudgedOnQBER() throws {
        var alarm = LinkAlarm(maximumQBERX: 0.15)
        #expect(alarm.judge(try frame(xResults: 50, xErrors: 40)).paused == false)
    }

    @Test func lossAndBackgroundAreFaultsButSlowDriftIsNot() throws {
        var alarm = LinkAlarm(maximumQBERX: 0.15)
        _ = alarm.judge(try frame())
        #expect(alarm.judge(try frame(zResults: 9_500, xResults: 4_750, xErrors: 475)).paused == false, "5 % below: drift, not a fault")
        #expect(alarm.judge(try frame(zResults: 4_000, xResults: 2_000, xErrors: 200)).fault == .loss)
        #expect(alarm.judge(try frame(zResults: 30_000, xResults: 5_000, xErrors: 500)).fault == .background)
    }

    /// Few counts: a 20 % dip in 100 expected results is within 5 standard deviations (50 %), so
    /// it is noise, not a fault.
    @Test func theCountRuleIsNoiseAware() throws {
        var alarm = LinkAlarm(maximumQBERX: 0.15)
        _ = alarm.judge(try frame(zResults: 60, xResults: 40, xErrors: 4))
        #expect(alarm.judge(try frame(zResults: 48, xResults: 32, xErrors: 3)).paused == false)
        #expect(alarm.judge(try frame(zResults: 0, xResults: 0, xErrors: 0)).fault == .loss)
    }

    @Test func resumingCanWaitForSeveralHealthyFrames() throws {
        var alarm = LinkAlarm(maximumQBERX: 0.15)
        alarm.resumeAfterFrames = 2
        _ = alarm.judge(try frame())
        _ = alarm.judge(try frame(zResults: 0, xResults: 0, xErrors: 0))
        #expect(alarm.judge(try frame()) == LinkAlarm.Verdict(paused: true, fault: nil))
        #expect(alarm.judge(try frame()).paused == false)
    }
}
