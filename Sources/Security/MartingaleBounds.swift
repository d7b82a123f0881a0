import QKDCore

/// Concentration bounds between a count `S = Σ X_i` of binary events and the sum of their
/// conditional probabilities `Λ = Σ P(X_i = 1 | past)`, valid when the probabilities are chosen
/// adaptively by an adversary (coherent attacks), which i.i.d. Hoeffding or Chernoff bounds are not.
///
/// For any fixed θ > 0, `exp(θS - (e^θ - 1)Λ)` and `exp(-θS + (1 - e^-θ)Λ)` are non-negative
/// supermartingales (since `E[e^{θX}|past] = 1 + p(e^θ - 1) <= e^{p(e^θ - 1)}`), so by Markov's
/// (Ville's) inequality each exceeds `1/ε` with probability at most ε, also at a stopping time.
/// This is the multiplicative Chernoff bound for martingales; Kato, arXiv:2002.04357 (2020),
/// Sec. 2, derives a refined form of the same inequality. θ cannot depend on the data, so each
/// bound takes the best θ over a fixed geometric grid and pays for it with a union bound (ε / grid
/// size per grid point): the cost is `ln(gridSize)` added to `ln(1/ε)`.
///
/// With `deviations == false` every bound returns its argument: the asymptotic limit.
///
/// `Inequality.azumaHoeffding` replaces the Chernoff form by the Azuma-Hoeffding inequality
/// (Azuma, Tohoku Math. J. 19, 357 (1967)) over the N rounds of the block,
/// `|S - Λ| <= sqrt(N ln(1/ε) / 2)`: also valid against coherent attacks, but its deviation grows
/// with the number of pulses rather than with the count, which is why the default is Chernoff.
public struct MartingaleBounds: Sendable {
    /// The concentration inequality behind the bounds.
    public enum Inequality: String, Sendable, CaseIterable {
        /// Multiplicative Chernoff bound for martingales (deviation ~ sqrt(count)).
        case chernoff
        /// Azuma-Hoeffding over the block's rounds (deviation ~ sqrt(pulses)).
        case azumaHoeffding = "azuma-hoeffding"
    }

    /// Whether finite-size deviations are applied.
    public let deviations: Bool
    /// The θ grid.
    public let grid: [Double]
    /// Rounds (pulses) of the block, when Azuma-Hoeffding is used.
    public let azumaRounds: Double?

    /// Creates bounds; the default grid spans θ from 10^-6 to 4 in 48 geometric steps;
    /// `azumaRounds` selects Azuma-Hoeffding over that many rounds.
    public init(deviations: Bool = true, gridSize: Int = 48, azumaRounds: Double? = nil) {
        self.deviations = deviations
        self.azumaRounds = azumaRounds
        let low = 1e-6, high = 4.0
        grid = (0..<gridSize).map { low * QKDMath.exponential(QKDMath.naturalLog(high / low) * Double($0) / Double(gridSize - 1)) }
    }

    private func azumaDeviation(_ rounds: Double, _ epsilon: Double) -> Double {
        (rounds * QKDMath.naturalLog(1 / epsilon) / 2).squareRoot()
    }

    private func logInverse(_ epsilon: Double) -> Double {
        QKDMath.naturalLog(Double(grid.count) / epsilon)
    }

    /// Upper bound on Λ given the observed count S, failing with probability at most ε:
    /// `Λ <= (θS + ln(1/ε')) / (1 - e^-θ)`.
    public func upperExpectation(observed count: Double, epsilon: Double) -> Double {
        guard deviations else { return count }
        if let rounds = azumaRounds { return count + azumaDeviation(rounds, epsilon) }
        let l = logInverse(epsilon)
        return grid.map { θ in (θ * count + l) / -QKDMath.exponentialMinusOne(-θ) }.min()!
    }

    /// Lower bound on Λ given the observed count S, failing with probability at most ε:
    /// `Λ >= (θS - ln(1/ε')) / (e^θ - 1)` (never below zero).
    public func lowerExpectation(observed count: Double, epsilon: Double) -> Double {
        guard deviations else { return count }
        if let rounds = azumaRounds { return max(0, count - azumaDeviation(rounds, epsilon)) }
        let l = logInverse(epsilon)
        return max(0, grid.map { θ in (θ * count - l) / QKDMath.exponentialMinusOne(θ) }.max()!)
    }

    /// Upper bound on the count S given (an upper bound on) Λ, failing with probability at most
    /// ε: `S <= ((e^θ - 1)Λ + ln(1/ε')) / θ`.
    public func upperCount(expectation: Double, epsilon: Double) -> Double {
        guard deviations else { return expectation }
        if let rounds = azumaRounds { return expectation + azumaDeviation(rounds, epsilon) }
        let l = logInverse(epsilon)
        return grid.map { θ in (QKDMath.exponentialMinusOne(θ) * expectation + l) / θ }.min()!
    }
}
