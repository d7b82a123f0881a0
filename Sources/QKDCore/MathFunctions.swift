#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the C math library, so that targets need not import Foundation for them.
@usableFromInline func _log(_ x: Double) -> Double { log(x) }
@usableFromInline func _log1p(_ x: Double) -> Double { log1p(x) }
@usableFromInline func _cos(_ x: Double) -> Double { cos(x) }

/// Mathematical helpers used across QKDKit.
public enum QKDMath {
    /// The binary entropy h(x) = -x log2 x - (1-x) log2(1-x), with h(0) = h(1) = 0.
    public static func binaryEntropy(_ x: Double) -> Double {
        if x <= 0 || x >= 1 { return 0 }
        return -x * log2(x) - (1 - x) * log2(1 - x)
    }

    /// The complementary error function.
    public static func complementaryErrorFunction(_ x: Double) -> Double { erfc(x) }

    /// Cosine.
    public static func cosine(_ x: Double) -> Double { cos(x) }

    /// Natural logarithm.
    public static func naturalLog(_ x: Double) -> Double { log(x) }

    /// Base-2 logarithm.
    public static func log2Of(_ x: Double) -> Double { log2(x) }

    /// e^x.
    public static func exponential(_ x: Double) -> Double { exp(x) }

    /// e^x - 1, accurate for small x.
    public static func exponentialMinusOne(_ x: Double) -> Double { expm1(x) }

    /// log(1 + x), accurate for small x.
    public static func logOnePlus(_ x: Double) -> Double { log1p(x) }

    /// 10^(-dB/10): the transmittance of a loss given in decibels.
    public static func transmittance(lossDecibels: Double) -> Double { pow(10, -lossDecibels / 10) }

    /// -10 log10(t): the loss in decibels of a transmittance.
    public static func lossDecibels(transmittance: Double) -> Double { -10 * log10(transmittance) }
}
