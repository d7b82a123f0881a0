import Foundation

/// One block of an unattended run, as a line of `qkd run --csv`.
public struct StabilityBlockRow: Sendable, Equatable {
    /// Link time at the block's first pulse (s).
    public var startSeconds: Double
    /// Link time the block spans (s), withheld frames included.
    public var durationSeconds: Double
    /// Z-basis QBER (from error correction, or from the revealed bits of a block without key).
    public var qberZ: Double
    /// X-basis QBER (Bob's X results on |+>).
    public var qberX: Double
    /// Sifted Z bits.
    public var siftedBits: Int
    /// Secret bits delivered.
    public var secretBits: Int
    /// Root-mean-square residual phase of Bob's interferometer over the block's frames (rad),
    /// wrapped to [-π, π]: the emulator's truth, which the node never sees.
    public var phaseErrorRad: Double
    /// The phase lock over the block: `off`, `locked`, or `acquiring` if it acquired in any frame.
    public var controllerState: String
    /// Link time of the frames in the block's span that the alarm withheld (s).
    public var pausedSeconds: Double
    /// Root-mean-square offset of the photons' arrival from Bob's windows over the block (ps),
    /// the emulator's truth; 0 when the timing does not drift.
    public var timingErrorPs: Double
    /// Mean width of Bob's gate windows over the block's frames (ns): the gate-width
    /// controller's setting, or the calibrated width without it.
    public var gateWidthNs: Double
    /// The gate-width controller's latest estimate of the dark-count rate per detector when the
    /// block closed (Hz), from Bob's arrival histogram; 0 without one.
    public var darkCountEstimateHz: Double

    /// The CSV header line.
    public static let csvHeader = "startSeconds,durationSeconds,qberZ,qberX,siftedBits,secretBits,phaseErrorRad,controllerState,pausedSeconds,timingErrorPs,gateWidthNs,darkCountEstimateHz"

    /// The block as a CSV line.
    public var csvLine: String {
        [String(format: "%.1f", startSeconds), String(format: "%.1f", durationSeconds), String(format: "%.5f", qberZ),
         String(format: "%.5f", qberX), String(siftedBits), String(secretBits), String(format: "%.4f", phaseErrorRad),
         controllerState, String(format: "%.1f", pausedSeconds), String(format: "%.1f", timingErrorPs),
         String(format: "%.3f", gateWidthNs), String(format: "%.1f", darkCountEstimateHz)].joined(separator: ",")
    }
}
