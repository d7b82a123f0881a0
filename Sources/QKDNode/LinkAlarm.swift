import Security

/// The QBER and loss alarm that pauses key output during a fault and resumes it on its own.
///
/// It judges every sifted frame from its public counts only, so Alice and Bob, each with their
/// own copy fed the same frames in the same order, take the same decisions without another
/// message. A frame is faulty when
/// - its X-basis QBER (Bob's X results on Alice's revealed |+> states) exceeds `maximumQBERX`,
///   judged only when it holds at least `minimumXCounts` X results; or
/// - its results per pulse differ from the reference rate by more than `countTolerance` of the
///   expected number and by more than `countSignificance` standard deviations (Poisson) of it:
///   a loss (fibre cut, detector latch) or an excess (stray light). The reference is an
///   exponential average, weight `referenceWeight` per frame, over the frames judged healthy,
///   so slow drifts of brightness and efficiency move it along without raising the alarm.
///
/// A frame with a count-rate fault is withheld itself. A QBER fault withholds the frames *after*
/// it, never the faulty frame: the decision to keep a frame never depends on that frame's own
/// X errors, so keeping frames does not select the sample that bounds their phase error (a
/// frame kept because its own X errors happened to fall under the limit would bias the estimate
/// low). The frame that first shows a lost fringe therefore enters its block, where its errors
/// count in full in the finite-key analysis (one 10 s frame in a 47-minute block). The count
/// rule looks at detections, not errors, and catches the faults that must be withheld at once.
///
/// Key output pauses from the first faulty frame (count rule) or the frame after it (QBER rule)
/// and resumes after `resumeAfterFrames` consecutive healthy frames. A paused frame is withheld
/// whole on both sides: its sifted bits go into no block and its counts into no parameter
/// estimate, so a block holds exactly the bits of the frames that passed, and its finite-key
/// analysis uses exactly their counts. The withheld frames are reported so that their share can
/// be checked.
public struct LinkAlarm: Sendable, Equatable {
    /// The largest X-basis QBER of a healthy frame.
    public var maximumQBERX: Double
    /// The fewest X results on |+> a frame must hold for its QBER to be judged.
    public var minimumXCounts: UInt64 = 100
    /// Relative deviation of a frame's results from the reference that counts as a fault.
    public var countTolerance = 0.1
    /// Standard deviations of the expected results a fault must also exceed.
    public var countSignificance = 5.0
    /// Weight of a healthy frame in the reference rate.
    public var referenceWeight = 0.05
    /// Healthy frames in a row that end a pause.
    public var resumeAfterFrames = 1

    /// Results per pulse of the healthy frames (nil before the first frame).
    public private(set) var referenceRate: Double?
    /// Whether key output is paused.
    public private(set) var isPaused = false
    private var healthyFramesInRow = 0
    /// Whether the last frame judged exceeded the QBER limit: it pauses the next frame.
    private var lastFrameExceededQBER = false

    /// Creates the alarm with a QBER limit and the default loss rule.
    public init(maximumQBERX: Double) {
        self.maximumQBERX = maximumQBERX
    }

    /// What is wrong with a frame.
    public enum Fault: String, Sendable, Codable {
        /// The X-basis QBER exceeds the limit (the phase lock lost the fringe, or an attack).
        case qber
        /// Too few results: the fibre is cut or a detector latched.
        case loss
        /// Too many results: stray light.
        case background
    }

    /// The alarm's decision on one frame.
    public struct Verdict: Sendable, Equatable {
        /// Whether the frame's key output is withheld.
        public var paused: Bool
        /// What is wrong with the frame, nil if it is healthy (a healthy frame can still be
        /// paused while the alarm waits for `resumeAfterFrames`).
        public var fault: Fault?

        /// Creates a verdict.
        public init(paused: Bool, fault: Fault?) {
            self.paused = paused
            self.fault = fault
        }
    }

    /// What is wrong with a frame, nil if it is healthy.
    /// A count-rate fault comes first: stray light raises the QBER too, but the phase lock must
    /// not act on it.
    public func fault(in counts: ThreeStateCounts) -> Fault? {
        if let referenceRate, counts.pulses > 0 {
            let expected = referenceRate * Double(counts.pulses)
            let deviation = Double(counts.detections) - expected
            if abs(deviation) > max(countTolerance * expected, countSignificance * expected.squareRoot()) {
                return deviation < 0 ? .loss : .background
            }
        }
        return exceedsQBERLimit(counts) ? .qber : nil
    }

    /// Whether the frame holds enough X results and their QBER exceeds the limit.
    private func exceedsQBERLimit(_ counts: ThreeStateCounts) -> Bool {
        counts.siftedX >= minimumXCounts && counts.qberX > maximumQBERX
    }

    /// Judges the next frame: `fault` is what is wrong with it, `paused` whether it is withheld
    /// (for its own count-rate fault, or for a QBER fault of the frame before, or while a pause
    /// lasts).
    public mutating func judge(_ counts: ThreeStateCounts) -> Verdict {
        let previousExceededQBER = lastFrameExceededQBER
        let fault = fault(in: counts)
        lastFrameExceededQBER = fault == .qber
        if fault == .loss || fault == .background || previousExceededQBER {
            isPaused = true
            healthyFramesInRow = 0
            return Verdict(paused: true, fault: fault)
        }
        if fault == .qber {
            // Kept: its own X errors must not decide its fate (see the type's documentation).
            isPaused = true
            healthyFramesInRow = 0
            return Verdict(paused: false, fault: .qber)
        }
        if counts.pulses > 0 {
            let rate = Double(counts.detections) / Double(counts.pulses)
            referenceRate = referenceRate.map { $0 + referenceWeight * (rate - $0) } ?? rate
        }
        if isPaused {
            healthyFramesInRow += 1
            if healthyFramesInRow < resumeAfterFrames { return Verdict(paused: true, fault: nil) }
            isPaused = false
        }
        return Verdict(paused: false, fault: nil)
    }
}
