import Foundation
import Security

/// Bob's phase lock: drives the phase shifter of his interferometer from the X-basis error rate
/// he observes (his X results on the |+> states Alice reveals at sifting), with a dither to get
/// the sign.
///
/// The error rate on |+> is `e(φ) = e₀ + (V/2)(1 - cos φ)` in the residual phase φ (drift minus
/// correction), symmetric in φ, so one frame cannot tell which way to turn. The loop therefore
/// dithers: the shifter applies `θ + δ` in one frame and `θ - δ` in the next (δ =
/// `ditherAmplitude`), and from the two error rates `e₊`, `e₋` it estimates
/// `sin φ = (e₋ - e₊) / (V sin δ)`, since `e₋ - e₊ = V sin φ sin δ`.
///
/// - Update interval: one dither pair, two frames (20 s of link time with the default 10 s frames).
/// - Tracking (locked): `θ += gain · asin(estimate)`. With the default gain 0.7 the loop removes
///   70 % of the measured error per update; at 120 km a frame holds about 2 700 X results on |+>,
///   so the estimate's noise is about 0.09 rad, and a drift of 0.02 rad/√s leaves a residual of
///   about 0.1 rad rms. The dither itself costs `(V/2)(1 - cos δ)`, 0.2 % of X QBER at δ = 0.1.
/// - Lock acquisition: when the pair's mean X error exceeds `lockLossQBER` the fringe minimum is
///   lost (near φ = π the gradient vanishes), so the loop steps θ by `acquisitionStep` (π/4) per
///   pair in the direction of the estimate's sign until the error falls below the threshold, then
///   tracks again. Each locked → acquiring transition counts as a lock-loss event.
/// - `V` is the calibrated visibility of Bob's interferometer (a constant, not re-estimated).
public struct PhaseStabilizer: Sendable {
    /// What the loop is doing.
    public enum State: String, Sendable, Codable {
        /// Tracking the fringe minimum.
        case locked
        /// Searching for the fringe minimum after the error rate went out of bounds.
        case acquiring
    }

    /// Dither amplitude δ (rad).
    public var ditherAmplitude = 0.1
    /// Fraction of the estimated phase error corrected per update.
    public var gain = 0.7
    /// Phase step per update while acquiring (rad).
    public var acquisitionStep = Double.pi / 4
    /// Mean X QBER of a dither pair above which the lock counts as lost.
    public var lockLossQBER: Double
    /// Calibrated visibility of the interferometer.
    public var visibility: Double
    /// The fewest X results on |+> a frame needs to count in an update.
    public var minimumCounts: UInt64 = 50

    /// The correction θ the phase shifter holds, without dither (rad).
    public private(set) var correction = 0.0
    /// What the loop is doing.
    public private(set) var state = State.locked
    /// Locked → acquiring transitions so far.
    public private(set) var lockLossEvents = 0
    private var ditherSign = 1.0
    private var upperErrorRate: Double?

    /// Creates a loop for an interferometer of `visibility`, locked at the calibrated phase.
    public init(visibility: Double, lockLossQBER: Double) {
        self.visibility = max(visibility, 0.1)
        self.lockLossQBER = lockLossQBER
    }

    /// The phase the shifter applies in the next frame: the correction plus that frame's dither.
    public var shifterPhase: Double { correction + ditherSign * ditherAmplitude }

    /// Takes the public counts of the frame that was just measured with `shifterPhase` and
    /// updates the loop; a frame with too few X results is skipped (the dither is repeated).
    public mutating func update(frameCounts: ThreeStateCounts) {
        guard frameCounts.siftedX >= minimumCounts else { return }
        let errorRate = frameCounts.qberX
        guard ditherSign < 0, let upper = upperErrorRate else {
            upperErrorRate = errorRate
            ditherSign = -1
            return
        }
        ditherSign = 1
        upperErrorRate = nil
        let estimate = asin(min(1, max(-1, (errorRate - upper) / (visibility * sin(ditherAmplitude)))))
        if (upper + errorRate) / 2 > lockLossQBER {
            if state == .locked { lockLossEvents += 1 }
            state = .acquiring
            correction += estimate >= 0 ? acquisitionStep : -acquisitionStep
        } else {
            state = .locked
            correction += gain * estimate
        }
    }
}
