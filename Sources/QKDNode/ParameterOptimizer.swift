/// Maximises an objective over a box by cyclic coordinate search with golden-section line
/// searches: robust for the smooth, unimodal-per-coordinate key rates of QKD links, and
/// deterministic. Objective values are compared as pairs (primary, secondary), so a region
/// where the finite-key rate is zero is still climbed by the asymptotic rate.
struct ParameterOptimizer {
    /// Lower and upper bound of each coordinate.
    var bounds: [ClosedRange<Double>]
    /// Passes over all coordinates.
    var passes = 2
    /// Golden-section steps per line search.
    var stepsPerSearch = 18

    /// The best point found from `start` (never worse than `start`).
    func maximise(from start: [Double], _ objective: ([Double]) throws -> (Double, Double)) rethrows -> [Double] {
        let ratio = (5.0.squareRoot() - 1) / 2
        var best = start
        var bestValue = try objective(best)
        for _ in 0..<passes {
            for coordinate in bounds.indices {
                var low = bounds[coordinate].lowerBound, high = bounds[coordinate].upperBound
                func value(_ x: Double) throws -> (Double, Double) {
                    var point = best
                    point[coordinate] = x
                    return try objective(point)
                }
                var c = high - ratio * (high - low), d = low + ratio * (high - low)
                var fc = try value(c), fd = try value(d)
                for _ in 0..<stepsPerSearch {
                    if fc > fd {
                        high = d; d = c; fd = fc
                        c = high - ratio * (high - low); fc = try value(c)
                    } else {
                        low = c; c = d; fc = fd
                        d = low + ratio * (high - low); fd = try value(d)
                    }
                }
                let (x, fx) = fc > fd ? (c, fc) : (d, fd)
                if fx > bestValue {
                    best[coordinate] = x
                    bestValue = fx
                }
            }
        }
        return best
    }
}
