import QKDCore

/// When a detected photon arrives relative to its nominal time: the quantum dot's exponential
/// emission profile (mean = radiative lifetime T1) convolved with the detector's Gaussian jitter
/// σ, i.e. an exponentially modified Gaussian.
///
/// The cumulative distribution is `F(x) = Φ(x/σ) - exp(-x/T1 + σ²/(2T1²)) Φ(x/σ - σ/T1)`
/// (the standard exGaussian CDF; e.g. Grushka, Anal. Chem. 44, 1733 (1972)), with Φ the normal
/// CDF; for σ = 0 it is the exponential CDF `1 - exp(-x/T1)`, and for T1 = 0 (a laser pulse) the
/// Gaussian CDF `Φ(x/σ)`. The tail of the emission profile is what moves a photon into a
/// neighbouring time bin.
public struct PhotonTimingModel: Sendable, Equatable {
    /// Radiative lifetime T1 (s); 0 for a source without exponential emission tail.
    public var lifetime: Double
    /// Detector jitter σ (s).
    public var jitter: Double

    /// Creates a timing model.
    public init(lifetime: Double, jitter: Double) {
        self.lifetime = lifetime
        self.jitter = jitter
    }

    /// `P(arrival delay <= x)`.
    public func cumulativeProbability(_ x: Double) -> Double {
        if lifetime == 0 { return jitter == 0 ? (x < 0 ? 0 : 1) : normalCDF(x / jitter) }
        if jitter == 0 { return x <= 0 ? 0 : -QKDMath.exponentialMinusOne(-x / lifetime) }
        let z = x / jitter
        let ratio = jitter / lifetime
        let gaussian = normalCDF(z)
        let exponent = -x / lifetime + ratio * ratio / 2
        let tail = exponent > 700 ? 0 : QKDMath.exponential(exponent) * normalCDF(z - ratio)
        return min(1, max(0, gaussian - tail))
    }

    /// `P(a <= arrival delay < b)`.
    public func probability(from a: Double, to b: Double) -> Double {
        max(0, cumulativeProbability(b) - cumulativeProbability(a))
    }

    /// Draws an arrival delay.
    public func drawDelay(using generator: inout SeededGenerator) -> Double {
        generator.nextExponential(mean: lifetime) + jitter * generator.nextStandardNormal()
    }

    private func normalCDF(_ z: Double) -> Double {
        0.5 * QKDMath.complementaryErrorFunction(-z / 2.0.squareRoot())
    }
}
