/// The summary of an unattended run (`qkd run --json`).
public struct StabilitySummary: Sendable, Codable, Equatable {
    /// Preset or configuration name.
    public var preset: String
    /// Fibre length (km).
    public var distanceKm: Double
    /// Simulated link time (s).
    public var durationSeconds: Double
    /// Phase diffusion of the interferometer drift (rad/√s), nil when drift is off.
    public var phaseDiffusion: Double?
    /// Whether Bob's phase lock ran.
    public var controllers: Bool
    /// The QBER alarm's X-basis limit per frame.
    public var alarmQberX: Double
    /// Blocks closed, including aborted ones.
    public var blocks: Int
    /// Blocks aborted by the QBER alarm.
    public var blocksAborted: Int
    /// Sifted Z bits of every block.
    public var siftedBits: Int
    /// Secret bits delivered.
    public var secretBits: Int
    /// Z-basis QBER over every block, weighted by sifted bits.
    public var meanQberZ: Double
    /// X-basis QBER over every block, weighted by X results.
    public var meanQberX: Double
    /// The largest X-basis QBER of a block.
    public var maxQberX: Double
    /// Secret bits delivered per second of link time.
    public var secretKeyRate: Double
    /// Times the QBER alarm went from clear to raised (frame by frame).
    public var lockLossEvents: Int
    /// Link time of the first raised alarm (s), nil if none.
    public var firstLockLossSeconds: Double?
    /// Root-mean-square residual phase over every frame (rad), the emulator's truth.
    public var phaseErrorRmsRad: Double
    /// The seed.
    public var seed: UInt64
}
