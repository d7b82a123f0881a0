import QKDCore

/// The decoy-state inequalities: bounds on the vacuum and single-photon contributions of one
/// class of events (for example the Z-basis detections, or the Z-basis errors) from how that class
/// splits over the intensities.
///
/// Inputs are bounds on the *expected* counts at each intensity given the photon-number counts,
/// `n*_k = Σ_n p_{k|n} s_n` with `p_{k|n} = p_k e^{-μ_k} μ_k^n / (n! τ_n)` (Lim et al., PRA 89,
/// 022307 (2014), Eq. A3): `upper[k] >= n*_k >= lower[k]`, intensity 0 the signal. How those
/// bounds are obtained (Hoeffding in the papers, `MartingaleBounds` in QKDKit) is the caller's
/// choice; each bound here is exact algebra on them, scaled as `n_k^± = (e^{μ_k}/p_k) bound_k`.
public struct DecoyStateBounds: Sendable {
    /// Mean photon numbers, signal first, strictly decreasing (two or three).
    public let intensities: [Double]
    /// Probability of each intensity.
    public let probabilities: [Double]
    /// `τ_0`, the probability that a pulse is empty.
    public let vacuumProbability: Double
    /// `τ_1`, the probability that a pulse holds one photon.
    public let singlePhotonProbability: Double

    /// The bounds of a protocol's intensities.
    public init(_ protocolDescription: DecoyStateProtocol) {
        intensities = protocolDescription.intensities
        probabilities = protocolDescription.intensityProbabilities
        vacuumProbability = protocolDescription.photonNumberProbability(0)
        singlePhotonProbability = protocolDescription.photonNumberProbability(1)
    }

    private func scaled(_ bounds: [Double]) -> [Double] {
        (0..<intensities.count).map { QKDMath.exponential(intensities[$0]) / probabilities[$0] * bounds[$0] }
    }

    /// Lower bound on the vacuum contribution `s_0` (never negative).
    ///
    /// - Two decoys (μ2 > μ3): `s_0 >= τ_0 (μ2 n_3^- - μ3 n_2^+) / (μ2 - μ3)` (Lim et al. 2014,
    ///   Eq. 2 and A4).
    /// - One decoy (μ1 > μ2): `s_0 >= τ_0 (μ1 n_2^- - μ2 n_1^+) / (μ1 - μ2)` (Rusca et al., APL 112,
    ///   171104 (2018), Eq. A19: Lim's bound with the decoy in the role of the weakest intensity).
    public func vacuumLower(upper: [Double], lower: [Double]) -> Double {
        let plus = scaled(upper), minus = scaled(lower), mu = intensities, tau0 = vacuumProbability
        let (strong, weak) = mu.count == 3 ? (1, 2) : (0, 1)
        return max(0, tau0 * (mu[strong] * minus[weak] - mu[weak] * plus[strong]) / (mu[strong] - mu[weak]))
    }

    /// Lower bound on the single-photon contribution `s_1` (never negative).
    ///
    /// - Two decoys, with `vacuum` a lower bound on s_0 (Lim et al. 2014, Eq. 3 and A5):
    ///   `s_1 >= μ1 τ_1 [n_2^- - n_3^+ - (μ2² - μ3²)/μ1² (n_1^+ - s_0^l/τ_0)] / (μ1(μ2 - μ3) - μ2² + μ3²)`.
    /// - One decoy, with `vacuum` an *upper* bound on s_0, which enters with a negative sign
    ///   (Rusca et al. 2018, Eq. A17):
    ///   `s_1 >= τ_1 μ1 [n_2^- - (μ2²/μ1²) n_1^+ - (μ1² - μ2²)/μ1² s_0^u/τ_0] / (μ2(μ1 - μ2))`.
    public func singleLower(upper: [Double], lower: [Double], vacuum: Double) -> Double {
        let plus = scaled(upper), minus = scaled(lower), mu = intensities
        let tau0 = vacuumProbability, tau1 = singlePhotonProbability
        if mu.count == 3 {
            let (mu1, mu2, mu3) = (mu[0], mu[1], mu[2])
            let single = mu1 * tau1 * (minus[1] - plus[2] - (mu2 * mu2 - mu3 * mu3) / (mu1 * mu1) * (plus[0] - vacuum / tau0))
                / (mu1 * (mu2 - mu3) - mu2 * mu2 + mu3 * mu3)
            return max(0, single)
        }
        let (mu1, mu2) = (mu[0], mu[1])
        let single = tau1 * mu1 * (minus[1] - mu2 * mu2 / (mu1 * mu1) * plus[0] - (mu1 * mu1 - mu2 * mu2) / (mu1 * mu1) * vacuum / tau0)
            / (mu2 * (mu1 - mu2))
        return max(0, single)
    }

    /// Upper bound on the single-photon contribution (the single-photon errors `v_1` when the
    /// class is an error count), never negative.
    ///
    /// - Two decoys: `v_1 <= τ_1 (m_2^+ - m_3^-) / (μ2 - μ3)` (Lim et al. 2014, Eq. 4 and A6).
    /// - One decoy: `v_1 <= τ_1 (m_1^+ - m_2^-) / (μ1 - μ2)` (Rusca et al. 2018, Eq. A22: the
    ///   vacuum terms cancel and every multi-photon term of the difference is non-negative),
    ///   tightened with a lower bound `vacuum` on s_0 by the decoy alone,
    ///   `v_1 <= τ_1 (m_2^+ - s_0^l/τ_0) / μ2` (every term of `m_2^+ = Σ μ2^n s_n/(n! τ_n)` is
    ///   non-negative).
    public func singleUpper(upper: [Double], lower: [Double], vacuum: Double = 0) -> Double {
        let plus = scaled(upper), minus = scaled(lower), mu = intensities, tau1 = singlePhotonProbability
        if mu.count == 3 {
            return max(0, tau1 * (plus[1] - minus[2]) / (mu[1] - mu[2]))
        }
        let difference = tau1 * (plus[0] - minus[1]) / (mu[0] - mu[1])
        let decoyAlone = tau1 * (plus[1] - vacuum / vacuumProbability) / mu[1]
        return max(0, min(difference, decoyAlone))
    }
}
