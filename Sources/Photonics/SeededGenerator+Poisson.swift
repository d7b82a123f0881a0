import Foundation
import QKDCore

extension SeededGenerator {
    /// A Poisson count of mean `mean`: exact (Knuth's product of uniforms) below 30, the normal
    /// approximation rounded above (skewness `1/√mean` below 0.2 there).
    public mutating func nextPoisson(mean: Double) -> UInt64 {
        guard mean > 0 else { return 0 }
        if mean >= 30 {
            return UInt64(max(0, (mean + mean.squareRoot() * nextStandardNormal()).rounded()))
        }
        let limit = exp(-mean)
        var product = nextUnitInterval()
        var count: UInt64 = 0
        while product > limit {
            count += 1
            product *= nextUnitInterval()
        }
        return count
    }
}
