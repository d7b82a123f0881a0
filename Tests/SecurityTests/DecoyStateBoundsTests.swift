import QKDCore
import Security
import Testing

@Suite struct DecoyStateBoundsTests {
    /// Property test of the decoy inequalities themselves: Eve may give every photon number any
    /// yield Y_n in [0, 1], so for random yields (and the exact expectations
    /// `n*_k = N p_k Σ_n e^{-μ_k} μ_k^n / n! Y_n`, no fluctuation) the bounds must bracket the true
    /// `s_0 = N τ_0 Y_0` and `s_1 = N τ_1 Y_1`, with one decoy and with two. Photon numbers above
    /// 40 are dropped (their weight is below 1e-40 at μ <= 1). Tolerance 1e-9 relative: rounding.
    @Test func boundsHoldForAnyYields() throws {
        var generator = SeededGenerator(seed: 4)
        for trial in 0..<400 {
            let mu1 = 0.2 + 0.8 * generator.nextUnitInterval()
            let twoDecoys = trial % 2 == 0
            let mu2 = mu1 * (0.05 + 0.4 * generator.nextUnitInterval())
            let intensities = twoDecoys ? [mu1, mu2, mu2 * generator.nextUnitInterval() * 0.5] : [mu1, mu2]
            let weights = intensities.map { _ in 0.1 + generator.nextUnitInterval() }
            let probabilities = weights.map { $0 / weights.reduce(0, +) }
            let description = try DecoyStateProtocol(
                zBasisProbability: 0.5, bobBasisRatio: 1, intensities: intensities, intensityProbabilities: probabilities)
            // Yields of every kind: tiny (lossy link), arbitrary, or zero for some photon numbers.
            let scale = QKDMath.exponential(-12 * generator.nextUnitInterval())
            let yields = (0...40).map { _ in generator.nextBernoulli(0.2) ? 0 : scale * generator.nextUnitInterval() }
            let pulses = 1e10
            let expected = intensities.indices.map { k in
                var term = QKDMath.exponential(-intensities[k]), total = 0.0
                for n in 0...40 {
                    total += term * yields[n]
                    term *= intensities[k] / Double(n + 1)
                }
                return pulses * probabilities[k] * total
            }
            let bounds = DecoyStateBounds(description)
            let vacuum = pulses * description.photonNumberProbability(0) * yields[0]
            let single = pulses * description.photonNumberProbability(1) * yields[1]
            let slack = 1e-9 * max(expected.max()!, 1)
            let vacuumLower = bounds.vacuumLower(upper: expected, lower: expected)
            #expect(vacuumLower <= vacuum + slack, "trial \(trial): vacuum \(vacuum) below its bound \(vacuumLower)")
            let singleLower = bounds.singleLower(upper: expected, lower: expected, vacuum: twoDecoys ? vacuumLower : vacuum)
            #expect(singleLower <= single + slack, "trial \(trial): single \(single) below its bound \(singleLower)")
            let singleUpper = bounds.singleUpper(upper: expected, lower: expected, vacuum: vacuumLower)
            #expect(singleUpper >= single - slack, "trial \(trial): single \(single) above its bound \(singleUpper)")
        }
    }
}
