import Foundation
import Security

/// The text of `qkd keyrate`: the secret length of a block and, with `explain`, every term of the
/// formula with its value and its source.
public struct KeyRateReport {
    /// The request analysed.
    public var request: KeyRateRequest
    /// Its finite-key result.
    public var bound: SecretKeyBound
    /// Its asymptotic result (the same formula without finite-size deviations).
    public var asymptotic: SecretKeyBound

    /// Analyses a request with the given concentration inequality.
    public init(request: KeyRateRequest, inequality: MartingaleBounds.Inequality = .chernoff) throws {
        self.request = request
        bound = try request.evaluate(inequality: inequality)
        asymptotic = try request.evaluate(finiteSize: false)
    }

    /// The report text.
    public func text(explain: Bool) -> String {
        let pulses = request.counts.reduce(0) { $0 + $1.pulses }
        var lines = ["protocol \(request.protocol), \(pulses) pulses, \(bound.siftedZ) sifted Z bits, \(bound.leakage) bits disclosed"]
        lines.append("secret length       \(bound.secretBits) bits (asymptotic limit of the same formula: \(asymptotic.secretBits) bits)")
        lines.append("per pulse           \(String(format: "%.4g", Double(bound.secretBits) / Double(max(pulses, 1)))) bit")
        if let seconds = request.durationSeconds, seconds > 0 {
            lines.append("rate                \(String(format: "%.4g", Double(bound.secretBits) / seconds)) bit/s over \(String(format: "%g", seconds)) s")
        }
        if let reason = bound.reasonForNoKey { lines.append("no key              \(reason)") }
        guard explain else { return lines.joined(separator: "\n") }
        let single = request.protocol == "three-state-single-photon"
        lines += [
            "",
            "Each term (docs/security.md gives the derivation):",
            term("n_Z", Double(bound.siftedZ), "sifted Z bits (Alice Z, Bob Z), observed"),
            single
                ? term("M_Z", bound.taggedZUpper, "upper bound on multi-photon sifted bits: U'(N p_Z g2 mu^2/2); GLLP tagging, QIC 4, 325 (2004); g2 bound of Waks et al., PRA 66, 042315 (2002)")
                : term("n_Z - s_0 - s_1", bound.taggedZUpper, "sifted bits not proven vacuum or single-photon; decoy bounds of Lim et al., PRA 89, 022307 (2014) Eqs. 2-4 / Rusca et al., APL 112, 171104 (2018)"),
            term("s_0", bound.vacuumZLower, single ? "vacuum bits counted apart (0: counted with the single-photon bits)" : "lower bound on vacuum sifted bits"),
            term("s_1", bound.singlePhotonZLower, single ? "lower bound on untagged sifted bits, n_Z - M_Z" : "lower bound on single-photon sifted bits"),
            term("Lambda_ph", bound.expectedPhaseErrorsUpper, "upper bound on expected phase errors: virtual |-> = |e><e| + |l><l| - |+><+| (Tamaki et al., PRA 90, 052314 (2014); Rusca et al., PRA 98, 052336 (2018))"),
            term("E_ph", bound.phaseErrorsUpper, "upper bound on phase errors from Lambda_ph, martingale concentration (docs/security.md)"),
            term("phi", bound.phaseErrorRateUpper, "phase error rate bound E_ph / s_1 (asymptotic: \(String(format: "%.4f", asymptotic.phaseErrorRateUpper)))"),
            term("lambda_EC", Double(bound.leakage), "bits disclosed by error correction plus the verification tag, measured"),
            term("2 log2(1/(2 eps_PA))", bound.privacyAmplificationCost, "leftover hash lemma, eps_PA = eps_sec/3 (Tomamichel et al., Nat. Commun. 3, 634 (2012))"),
            term("l", Double(bound.secretBits), "floor(s_0 + s_1 (1 - h(phi)) - lambda_EC - 2 log2(1/(2 eps_PA)))"),
            "eps_cor \(request.epsilonCorrectness), eps_sec \(request.epsilonSecrecy): the key is (eps_cor + eps_sec)-secure",
        ]
        return lines.joined(separator: "\n")
    }

    private func term(_ name: String, _ value: Double, _ meaning: String) -> String {
        let padded = name.padding(toLength: 22, withPad: " ", startingAt: 0)
        let number = value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
        return "  \(padded) = \(number.padding(toLength: 14, withPad: " ", startingAt: 0)) \(meaning)"
    }
}
