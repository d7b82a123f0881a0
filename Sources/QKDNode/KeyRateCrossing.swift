import Foundation

/// Where the finite-key rates of two series of a study cross: the swept value at which the one
/// that was ahead falls behind, interpolated linearly in the logarithm of the rate.
public struct KeyRateCrossing: Sendable, Equatable, Codable {
    /// The series ahead before the crossing.
    public var leadingBefore: String
    /// The series ahead after it.
    public var leadingAfter: String
    /// The swept value at the crossing.
    public var sweepValue: Double
    /// Channel loss of the first series at the crossing (dB).
    public var lossDb: Double
    /// Whether the rates compared are per pulse (`bit/pulse`) or per second (`bit/s`).
    public var unit: String
    /// The common rate at the crossing, in `unit`.
    public var rate: Double

    /// The crossings of two series sampled at the same swept values, comparing `rate`.
    static func find(_ a: [KeyRatePoint], _ b: [KeyRatePoint], unit: String, rate: (KeyRatePoint) -> Double) -> [KeyRateCrossing] {
        var crossings: [KeyRateCrossing] = []
        for index in 0..<(min(a.count, b.count) - 1) {
            let values = [rate(a[index]), rate(b[index]), rate(a[index + 1]), rate(b[index + 1])]
            guard values.allSatisfy({ $0 > 0 }) else { continue }
            let before = log(values[0]) - log(values[1]), after = log(values[2]) - log(values[3])
            guard before != 0, before.sign != after.sign || after == 0 else { continue }
            let t = before / (before - after)
            func mix(_ x: Double, _ y: Double) -> Double { x + t * (y - x) }
            crossings.append(KeyRateCrossing(
                leadingBefore: before > 0 ? a[index].series : b[index].series,
                leadingAfter: before > 0 ? b[index].series : a[index].series,
                sweepValue: mix(a[index].sweepValue, a[index + 1].sweepValue),
                lossDb: mix(a[index].lossDb, a[index + 1].lossDb), unit: unit,
                rate: exp(mix(log(values[0]), log(values[2])))))
        }
        return crossings
    }
}
