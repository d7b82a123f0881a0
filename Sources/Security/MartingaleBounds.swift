import QKDCore

/// Concentration bounds between a count `S = Σ X_i` of binary events and the sum of their
/// conditional probabilities `Λ = Σ P(X_i = 1 | past)`, valid when the probabilities are chosen
/// adaptively by an adversary (coherent attacks), which i.i.d. Hoeffding or Chernoff bounds are not.
///
/// For any fixed θ > 0, `exp(θS - (e^θ - 1)Λ)` and `exp(-θS + (1 - e^-θ)Λ)` are non-negative
/// supermartingales (since `E[e^{θX}|past] = 1 + p(e^θ - 1) <= e^{p(e^θ - 1)}`), so by Markov's
/// (Ville's) inequality each exceeds `1/ε` with probability at most ε, also at a stopping time.
/// This is the multiplicative Chernoff bound for martingales. θ cannot depend on the data, so each
/// bound takes the best θ over a fixed geometric grid and pays for it with a union bound (ε / grid
/// size per grid point): the cost is `ln(gridSize)` added to `ln(1/ε)`.
///
/// With `deviations == false` every bound returns its argument: the asymptotic limit.
///
/// `Inequality.kato` uses Kato's inequality (G. Kato, "Concentration inequality using unconfirmed
/// knowledge", arXiv:2002.04357 (2020), main theorem, in the form used by Curras-Lorenzo et al.,
/// npj Quantum Inf. 7, 22 (2021), Methods) over the n rounds (pulses) of the block: for any a and
/// b >= |a| fixed in advance,
/// `P[Λ - S >= (b + a(2S/n - 1)) √n] <= exp(-2(b² - a²) / (1 + 4a/(3√n))²)`, and, the same
/// applied to the complements 1 - X_i (S -> n - S, Λ -> n - Λ, a -> -a),
/// `P[S - Λ >= (b + a(2S/n - 1)) √n] <= exp(-2(b² - a²) / (1 - 4a/(3√n))²)`.
/// With a = 0 it is Azuma-Hoeffding; a > 0 shrinks the deviation for rare events (S << n) to
/// about `sqrt(2 S ln(1/ε))`, the scale of the Chernoff form. Each bound sets b so that the
/// right-hand side is ε / grid size, and takes the best a = c√n over a fixed geometric grid of c
/// (union bound, as for θ above), since a may not depend on the data.
///
/// `Inequality.azumaHoeffding` replaces both by the Azuma-Hoeffding inequality
/// (Azuma, Tohoku Math. J. 19, 357 (1967)) over the n rounds of the block,
/// `|S - Λ| <= sqrt(n ln(1/ε) / 2)`: also valid against coherent attacks, but its deviation grows
/// with the number of pulses rather than with the count; it is there for comparison only.
///
/// The default is Chernoff: at least as tight as Kato on QKD counts (BENCHMARKS.md,
/// "Concentration bounds": Kato keeps 0.5 % less key on the reference block) and it needs no
/// round count.
public struct MartingaleBounds: Sendable {
    /// The concentration inequality behind the bounds.
    public enum Inequality: String, Sendable, CaseIterable {
        /// Multiplicative Chernoff bound for martingales (deviation ~ sqrt(count)).
        case chernoff
        /// Kato's inequality with the parameter a optimised over a grid (deviation ~ sqrt(count)).
        case kato
        /// Azuma-Hoeffding over the block's rounds (deviation ~ sqrt(pulses)).
        case azumaHoeffding = "azuma-hoeffding"
    }

    /// Whether finite-size deviations are applied.
    public let deviations: Bool
    /// The inequality used.
    public let inequality: Inequality
    /// Rounds (pulses) of the block: the n of Kato and Azuma-Hoeffding.
    public let rounds: Double
    /// The grid of θ (Chernoff) or of c = a/√n (Kato).
    public let grid: [Double]

    /// Creates bounds. The Chernoff grid spans θ from 10^-6 to 4, the Kato grid c from 10^-7 to
    /// 0.45 (below 1/2, where the count bound of Kato's second inequality degenerates), each in
    /// `gridSize` geometric steps. `rounds` is the number of pulses of the block (needed by Kato
    /// and Azuma-Hoeffding; at least 1 is used).
    public init(deviations: Bool = true, inequality: Inequality = .chernoff, rounds: Double = 1, gridSize: Int = 48) {
        self.deviations = deviations
        self.inequality = inequality
        self.rounds = max(1, rounds)
        let (low, high) = inequality == .kato ? (1e-7, 0.45) : (1e-6, 4.0)
        grid = (0..<gridSize).map { low * QKDMath.exponential(QKDMath.naturalLog(high / low) * Double($0) / Double(gridSize - 1)) }
    }

    private func azumaDeviation(_ epsilon: Double) -> Double {
        (rounds * QKDMath.naturalLog(1 / epsilon) / 2).squareRoot()
    }

    private func logInverse(_ epsilon: Double) -> Double {
        QKDMath.naturalLog(Double(grid.count) / epsilon)
    }

    /// Kato's (a, b) for grid value c: a = c√n and b from `exp(-2(b² - a²)/(1 + sign 4a/(3√n))²) = ε'`.
    private func katoParameters(_ c: Double, sign: Double, _ l: Double) -> (a: Double, b: Double) {
        let root = rounds.squareRoot(), a = c * root
        let factor = 1 + sign * 4 * c / 3
        return (a, (a * a + factor * factor * l / 2).squareRoot())
    }

    /// Upper bound on Λ given the observed count S, failing with probability at most ε.
    /// Chernoff: `Λ <= (θS + ln(1/ε')) / (1 - e^-θ)`; Kato (first inequality):
    /// `Λ <= S + (b + a(2S/n - 1)) √n`.
    public func upperExpectation(observed count: Double, epsilon: Double) -> Double {
        guard deviations else { return count }
        let l = logInverse(epsilon)
        switch inequality {
        case .azumaHoeffding:
            return count + azumaDeviation(epsilon)
        case .kato:
            return grid.map { c in
                let (a, b) = katoParameters(c, sign: 1, l)
                return count + (b + a * (2 * count / rounds - 1)) * rounds.squareRoot()
            }.min()!
        case .chernoff:
            return grid.map { θ in (θ * count + l) / -QKDMath.exponentialMinusOne(-θ) }.min()!
        }
    }

    /// Lower bound on Λ given the observed count S, failing with probability at most ε (never
    /// below zero). Chernoff: `Λ >= (θS - ln(1/ε')) / (e^θ - 1)`; Kato (second inequality):
    /// `Λ >= S - (b + a(2S/n - 1)) √n`.
    public func lowerExpectation(observed count: Double, epsilon: Double) -> Double {
        guard deviations else { return count }
        let l = logInverse(epsilon)
        switch inequality {
        case .azumaHoeffding:
            return max(0, count - azumaDeviation(epsilon))
        case .kato:
            return max(0, grid.map { c in
                let (a, b) = katoParameters(c, sign: -1, l)
                return count - (b + a * (2 * count / rounds - 1)) * rounds.squareRoot()
            }.max()!)
        case .chernoff:
            return max(0, grid.map { θ in (θ * count - l) / QKDMath.exponentialMinusOne(θ) }.max()!)
        }
    }

    /// Upper bound on the count S given (an upper bound on) Λ, failing with probability at most
    /// ε. Chernoff: `S <= ((e^θ - 1)Λ + ln(1/ε')) / θ`; Kato (second inequality solved for S):
    /// `S <= (Λ + (b - a) √n) / (1 - 2a/√n)`.
    public func upperCount(expectation: Double, epsilon: Double) -> Double {
        guard deviations else { return expectation }
        let l = logInverse(epsilon)
        switch inequality {
        case .azumaHoeffding:
            return expectation + azumaDeviation(epsilon)
        case .kato:
            return grid.map { c in
                let (a, b) = katoParameters(c, sign: -1, l)
                return (expectation + (b - a) * rounds.squareRoot()) / (1 - 2 * c)
            }.min()!
        case .chernoff:
            return grid.map { θ in (QKDMath.exponentialMinusOne(θ) * expectation + l) / θ }.min()!
        }
    }
}
