/// The summary of an unattended run (`qkd run --json`).
public struct StabilitySummary: Sendable, Codable, Equatable {
    /// Preset or configuration name.
    public var preset: String
    /// Fibre length (km).
    public var distanceKm: Double
    /// Simulated link time (s).
    public var durationSeconds: Double
    /// Whether frames came from the analytic model (`--accelerated`).
    public var accelerated: Bool
    /// Phase diffusion of the interferometer drift (rad/√s), nil when drift is off.
    public var phaseDiffusion: Double?
    /// Whether the source's brightness and the detectors' efficiency and dark counts wandered.
    public var deviceWander: Bool
    /// Whether Bob's phase lock ran.
    public var controllers: Bool
    /// The link alarm's X-basis QBER limit per frame.
    public var alarmQberX: Double
    /// Blocks closed, including those without key.
    public var blocks: Int
    /// Blocks that gave no key (too few bits or too many errors for the finite-key bound, or a
    /// failed verification); the alarm withholds frames, not blocks.
    public var blocksAborted: Int
    /// Sifted Z bits of every block.
    public var siftedBits: Int
    /// Secret bits delivered.
    public var secretBits: Int
    /// Z-basis QBER over every block, weighted by sifted bits.
    public var meanQberZ: Double
    /// X-basis QBER over every block, weighted by X results (the frames the blocks hold).
    public var meanQberX: Double
    /// The largest X-basis QBER of a block.
    public var maxQberX: Double
    /// X-basis QBER over every frame, paused ones included.
    public var meanQberXAllFrames: Double
    /// Secret bits delivered per second of link time.
    public var secretKeyRate: Double
    /// Times the alarm found a frame's X-basis QBER above its limit (and no loss or stray light)
    /// after a frame that was not: the phase lock (or, without it, the calibration) lost the
    /// fringe.
    public var lockLossEvents: Int
    /// Link time of the first such frame (s), nil if none.
    public var firstLockLossSeconds: Double?
    /// Frames the alarm withheld from key.
    public var pausedFrames: Int
    /// Link time of the withheld frames (s).
    public var pausedSeconds: Double
    /// Root-mean-square residual phase over every frame (rad), the emulator's truth.
    public var phaseErrorRmsRad: Double
    /// Whether the arrival time drifted (clocks and fibre delay).
    public var timingDrift: Bool
    /// Whether Bob's time-bin synchronisation ran.
    public var synchronization: Bool
    /// Root-mean-square offset of the photons' arrival from Bob's windows over every
    /// synchronisation interval (ps), the emulator's truth.
    public var timingErrorRmsPs: Double
    /// What the start-up acquisition found, nil without it.
    public var acquisition: TimeBinSynchronizer.Acquisition?
    /// The acquisition's estimate minus the true arrival offset at the run's start (ps).
    public var acquisitionErrorPs: Double?
    /// Whether Bob's gate-width controller ran.
    public var gateControl: Bool
    /// Mean width of Bob's gate windows over every frame (ns).
    public var meanGateWidthNs: Double
    /// Narrowest gate width of a frame (ns).
    public var minimumGateWidthNs: Double
    /// Widest gate width of a frame (ns).
    public var maximumGateWidthNs: Double
    /// The injected faults and how the link rode them out.
    public var faults: [FaultReport]
    /// The seed.
    public var seed: UInt64
}
