import Foundation
import Photonics
import QKDNode
import Testing

/// A short, fast link (50 km, 20 000-bit blocks, 1 s frames, seed 3) whose interferometer drifts
/// several times faster than the default 0.02 rad/√s, so that 30 s of link time show the effect.
private func fastDriftRunner(seconds: Double, diffusion: Double?, controllers: Bool, accelerated: Bool = false) throws -> StabilityRunner {
    let folder = try temporaryFolder()
    let path = try writeFile("""
        { "preset": "paper-120km", "fiber": { "lengthKm": 50 }, "postProcessing": { "blockSize": 20000 } }
        """, named: "short.json", in: folder)
    var runner = try StabilityRunner(
        configuration: try PresetCatalog.configuration(file: path), durationSeconds: seconds, seed: 3, keyDirectory: folder)
    runner.phaseDiffusion = diffusion
    runner.deviceWander = diffusion != nil
    runner.timingDrift = diffusion != nil
    runner.controllers = controllers
    runner.accelerated = accelerated
    runner.settings.frameSeconds = 1
    return runner
}

/// The paper's 120 km link over `hours` of link time, with its 10 s frames, in accelerated mode;
/// `controllers` switches the phase lock (the time-bin synchronisation stays on).
private func paperRunner(hours: Double, diffusion: Double?, controllers: Bool, seed: UInt64 = 1) throws -> StabilityRunner {
    var runner = try StabilityRunner(
        configuration: try PresetCatalog.configuration(named: "paper-120km"), durationSeconds: hours * 3600, seed: seed,
        keyDirectory: try temporaryFolder())
    runner.phaseDiffusion = diffusion
    runner.deviceWander = diffusion != nil
    runner.timingDrift = diffusion != nil
    runner.controllers = controllers
    runner.accelerated = true
    return runner
}

@Suite struct StabilityRunnerTests {
    /// The acceptance, on the paper's link for the full 6 h, in accelerated mode (whose
    /// equivalence with the emulator the next test checks): with the lock, no block reaches the
    /// alarm's limit, the mean QBER stays below 11 % and the key rate within 20 % of the
    /// drift-free rate; without it, the lock is lost within the first hour.
    @Test func sixHoursAtOneHundredTwentyKilometres() throws {
        var rows: [StabilityBlockRow] = []
        let reference = try paperRunner(hours: 6, diffusion: nil, controllers: false).run { _ in }
        let locked = try paperRunner(hours: 6, diffusion: InterferometerPhaseDrift.defaultDiffusion, controllers: true).run { rows.append($0) }
        let open = try paperRunner(hours: 6, diffusion: InterferometerPhaseDrift.defaultDiffusion, controllers: false).run { _ in }
        #expect(reference.blocksAborted == 0 && reference.pausedFrames == 0 && reference.secretKeyRate > 10)
        #expect(rows.count == locked.blocks && locked.blocks >= 7)
        #expect(rows.allSatisfy { $0.qberX < locked.alarmQberX && $0.qberZ < locked.alarmQberX })
        #expect(locked.blocksAborted == 0)
        #expect(locked.meanQberX < 0.11 && locked.meanQberZ < 0.11 && locked.meanQberXAllFrames < 0.11)
        #expect(locked.secretKeyRate > 0.8 * reference.secretKeyRate, "\(locked.secretKeyRate) vs \(reference.secretKeyRate) bit/s")
        let firstLoss = try #require(open.firstLockLossSeconds)
        #expect(firstLoss < 3600)
        #expect(open.meanQberXAllFrames > 0.2)
        // The clocks and the fibre drift too: the synchronisation acquired and kept the windows
        // on the photons (its noise is about 40 ps rms).
        #expect(locked.timingDrift && locked.acquisition != nil && abs(locked.acquisitionErrorPs ?? .infinity) < 500)
        #expect(locked.timingErrorRmsPs < 100, "\(locked.timingErrorRmsPs) ps")
        #expect(rows.allSatisfy { $0.timingErrorPs < 100 })
    }

    /// The same drifting 120 km link with the phase lock on but the time-bin synchronisation off
    /// (windows set by hand at the start): the clocks (about 2e-9 apart) and the fibre carry the
    /// photons out of their windows within the first minutes, so the alarm withholds nearly
    /// everything and the key rate collapses.
    @Test func withoutSynchronisationTheClockDriftBreaksTheLink() throws {
        var runner = try paperRunner(hours: 1, diffusion: InterferometerPhaseDrift.defaultDiffusion, controllers: true)
        runner.synchronization = false
        let broken = try runner.run { _ in }
        let synchronised = try paperRunner(hours: 1, diffusion: InterferometerPhaseDrift.defaultDiffusion, controllers: true).run { _ in }
        #expect(broken.timingErrorRmsPs > 1000, "\(broken.timingErrorRmsPs) ps")
        #expect(broken.pausedFrames > 300, "\(broken.pausedFrames) of 360 frames withheld")
        #expect(broken.secretBits == 0 && synchronised.secretBits > 0)
        #expect(synchronised.pausedFrames < 10)
    }

    /// A detector latches for 20 s inside a frame: the count-rate rule withholds every frame it
    /// touches (the silent detector would otherwise hide X errors) and key output resumes with
    /// the first frame after it, within one frame (1 s here).
    @Test func detectorLatchIsWithheldAndTheLinkResumes() throws {
        for accelerated in [false, true] {
            var runner = try fastDriftRunner(seconds: 40, diffusion: InterferometerPhaseDrift.defaultDiffusion, controllers: true, accelerated: accelerated)
            runner.faults = [try InjectedFault(kind: .detectorLatch, startSeconds: 10.5, durationSeconds: 20)]
            let summary = try runner.run { _ in }
            let fault = try #require(summary.faults.first)
            #expect(fault.unpausedFaultSeconds == 0, "key from the latched interval")
            let resume = try #require(fault.resumeSeconds)
            #expect(resume <= runner.settings.frameSeconds)
            #expect(summary.pausedFrames == 21, "\(summary.pausedFrames)")
            #expect(summary.secretBits > 0)
        }
    }

    /// Accelerated frames are statistically the emulator's: the same drifting link and seed, 30 s
    /// of 1 s frames at 50 km (about 13 000 sifted bits per frame, 0.4 Mbit in all), give sifted
    /// bits within 2 % (their relative standard deviation is 0.2 %), QBERs within 0.4 % absolute
    /// (standard deviations 0.04 % in Z, 0.1 % in X, plus the two phase locks' different paths),
    /// and key rates within 10 % (the emulated run's Cascade leaks what it measures, the analytic
    /// one f = 1.06 times the entropy).
    @Test func acceleratedFramesMatchTheEmulator() throws {
        let emulated = try fastDriftRunner(seconds: 30, diffusion: 0.1, controllers: true).run { _ in }
        let analytic = try fastDriftRunner(seconds: 30, diffusion: 0.1, controllers: true, accelerated: true).run { _ in }
        #expect(abs(Double(analytic.siftedBits) / Double(emulated.siftedBits) - 1) < 0.02)
        #expect(abs(analytic.meanQberZ - emulated.meanQberZ) < 0.004)
        #expect(abs(analytic.meanQberX - emulated.meanQberX) < 0.004, "\(analytic.meanQberX) vs \(emulated.meanQberX)")
        #expect(abs(analytic.secretKeyRate / emulated.secretKeyRate - 1) < 0.1, "\(analytic.secretKeyRate) vs \(emulated.secretKeyRate)")
    }

    @Test func phaseLockHoldsTheQBERAndTheKeyRateUnderDrift() throws {
        var rows: [StabilityBlockRow] = []
        let reference = try fastDriftRunner(seconds: 30, diffusion: nil, controllers: false).run { _ in }
        let locked = try fastDriftRunner(seconds: 30, diffusion: 0.1, controllers: true).run { rows.append($0) }
        #expect(reference.secretKeyRate > 0)
        // Only the run's last, partial block may give no key, with or without drift.
        #expect(locked.blocksAborted <= 1 && locked.blocksAborted == reference.blocksAborted, "\(locked.blocksAborted) vs \(reference.blocksAborted)")
        #expect(locked.lockLossEvents == 0 && locked.pausedFrames == 0, "\(locked.lockLossEvents) lock losses, \(locked.pausedFrames) paused")
        #expect(locked.meanQberX < 0.11 && locked.meanQberZ < 0.11)
        #expect(locked.maxQberX < locked.alarmQberX)
        #expect(abs(locked.secretKeyRate / reference.secretKeyRate - 1) < 0.2, "\(locked.secretKeyRate) vs \(reference.secretKeyRate) bit/s")
        #expect(locked.phaseErrorRmsRad < 0.25)
        #expect(rows.count == locked.blocks)
        #expect(rows.allSatisfy { $0.controllerState == "locked" })
        #expect(rows.reduce(0) { $0 + $1.secretBits } == locked.secretBits)
    }

    @Test func withoutTheLockTheAlarmWithholdsTheFramesPastTheLimit() throws {
        var rows: [StabilityBlockRow] = []
        let open = try fastDriftRunner(seconds: 30, diffusion: 0.3, controllers: false).run { rows.append($0) }
        #expect(open.lockLossEvents >= 1, "without the lock the X QBER must cross the alarm")
        #expect(open.meanQberXAllFrames > open.alarmQberX)
        #expect(open.pausedFrames >= 1 && open.pausedSeconds == Double(open.pausedFrames))
        #expect(rows.allSatisfy { $0.qberX <= open.alarmQberX }, "blocks hold only the frames that passed")
        #expect(rows.reduce(0) { $0 + $1.pausedSeconds } <= open.pausedSeconds)
        #expect(rows.allSatisfy { $0.controllerState == "off" })
        #expect(zip(rows, rows.dropFirst()).allSatisfy { abs($0.startSeconds + $0.durationSeconds - $1.startSeconds) < 1e-6 })
    }

    /// A 30 s fibre cut and a 5 s stray-light burst, both starting inside a frame: every frame
    /// they touch is withheld (no key from the faulty interval), and key output resumes with the
    /// first frame after each (within one frame, 1 s here: the alarm resumes after one healthy frame).
    @Test func faultsPauseKeyOutputAndItResumesOnItsOwn() throws {
        for accelerated in [false, true] {
            var runner = try fastDriftRunner(seconds: 55, diffusion: nil, controllers: true, accelerated: accelerated)
            runner.faults = [
                try InjectedFault(kind: .fibreCut, startSeconds: 10.5, durationSeconds: 30),
                try InjectedFault(kind: .strayLight, startSeconds: 42.4, durationSeconds: 5),
            ]
            let summary = try runner.run { _ in }
            #expect(summary.faults.count == 2)
            for fault in summary.faults {
                #expect(fault.unpausedFaultSeconds == 0, "\(fault.kind) leaked key from its interval")
                let resume = try #require(fault.resumeSeconds)
                #expect(resume <= runner.settings.frameSeconds)
            }
            #expect(summary.pausedFrames == 31 + 6)
            // Only the run's last, partial block may give no key.
            #expect(summary.blocksAborted <= 1 && summary.secretBits > 0)
        }
    }

    @Test func sameSeedSameRun() throws {
        var first = try fastDriftRunner(seconds: 8, diffusion: 0.1, controllers: true).run { _ in }
        var second = try fastDriftRunner(seconds: 8, diffusion: 0.1, controllers: true).run { _ in }
        first.preset = ""  // the configuration files live in two temporary folders
        second.preset = ""
        #expect(first == second)
    }
}
