import QKDCore

/// The repeaterless (PLOB) bound: no point-to-point QKD protocol over a pure-loss channel of
/// transmittance η can exceed `-log2(1 - η)` secret bits per channel use (Pirandola, Laurenza,
/// Ottaviani, Banchi, Nat. Commun. 8, 15043 (2017), Eq. 19).
public enum RepeaterlessBound {
    /// The bound in bits per channel use for a channel loss in dB.
    public static func bitsPerChannelUse(lossDb: Double) -> Double {
        let eta = QKDMath.transmittance(lossDecibels: lossDb)
        return -QKDMath.log2Of(1 - eta)
    }
}
