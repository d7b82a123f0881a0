import QKDCore

/// Bob's passive time-bin analyser: an unbalanced Mach-Zehnder interferometer whose delay
/// equals the time-bin separation, with one SNSPD on each output port.
///
/// A photon meets the first coupler and takes the short or the long arm with equal probability,
/// so it leaves in one of three output time slots: slot 0 (early bin, short arm), slot 1 (early
/// via long arm or late via short arm, where the two amplitudes interfere) and slot 2 (late bin,
/// long arm). Clicks in slots 0 and 2 measure Z (early / late); clicks in slot 1 measure X, with
/// detector 0 on the port that is bright for |+>. The basis choice is therefore passive, with
/// probability 1/2 each.
public struct TimeBinDecoder: Sendable, Equatable {
    /// Insertion loss of the interferometer beyond its intrinsic 50 % splitting (dB).
    public var insertionLossDb: Double
    /// Interference visibility in the middle slot (0...1).
    public var visibility: Double
    /// Residual phase offset between Alice's and Bob's interferometers (rad).
    public var phaseOffset: Double

    /// Creates a decoder, validating every parameter.
    public init(insertionLossDb: Double, visibility: Double, phaseOffset: Double = 0) throws {
        guard insertionLossDb >= 0 else {
            throw QKDError(.invalidParameter, "decoder insertion loss must be non-negative, got \(insertionLossDb) dB")
        }
        guard visibility >= 0, visibility <= 1 else {
            throw QKDError(.invalidParameter, "decoder visibility must be in [0, 1], got \(visibility)")
        }
        self.insertionLossDb = insertionLossDb
        self.visibility = visibility
        self.phaseOffset = phaseOffset
    }

    /// Transmittance of the insertion loss.
    public var transmittance: Double { QKDMath.transmittance(lossDecibels: insertionLossDb) }

    /// Probability that a photon in time-bin state `photon` leaves in output slot `slot`
    /// (0, 1, 2) on detector `detector` (0, 1), before gating and detection efficiency.
    ///
    /// Each arm takes half of the photon and each output coupler splits evenly, so slot 0 gets
    /// `ρ_ee / 4` and slot 2 `ρ_ll / 4` per detector; in slot 1 the early-via-long and
    /// late-via-short amplitudes interfere: `(ρ_ee + ρ_ll) / 4 ± V ρ_el cos(φ) / 2` on detector
    /// 0 / 1 (for |+>, ρ_el = 1/2, this is `(1 ± V cos φ) / 4`).
    public func routingProbability(photon: TimeBinPhotonState, slot: Int, detector: Int) -> Double {
        switch slot {
        case 0: return photon.earlyPopulation / 4
        case 2: return photon.latePopulation / 4
        case 1:
            let interference = visibility * photon.coherence * QKDMath.cosine(phaseOffset) / 2
            let average = (photon.earlyPopulation + photon.latePopulation) / 4
            return max(0, detector == 0 ? average + interference : average - interference)
        default: return 0
        }
    }
}
