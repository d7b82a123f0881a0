/// A fast, seedable pseudo-random generator (xoshiro256**, Blackman and Vigna 2018), seeded
/// through SplitMix64 so that any 64-bit seed gives a well-mixed state.
///
/// Every simulation in QKDKit takes one of these: the same seed reproduces the same stream,
/// bit for bit, on every platform. It is not a cryptographic generator; key material that must
/// be secret (privacy-amplification seeds, authentication keys) comes from
/// `SystemRandomNumberGenerator` in the shipped path.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator from a 64-bit seed.
    public init(seed: UInt64) {
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// Creates an independent generator for a named sub-stream, so that adding draws to one
    /// component of a simulation never shifts the draws of another.
    public init(seed: UInt64, stream: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in stream.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        self.init(seed: seed ^ hash)
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotl(state.3, 45)
        return result
    }

    @inlinable
    func rotl(_ value: UInt64, _ amount: UInt64) -> UInt64 {
        (value << amount) | (value >> (64 - amount))
    }

    /// A uniform double in the open interval (0, 1), never exactly 0 or 1.
    @inlinable
    public mutating func nextUnitInterval() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A Bernoulli draw that is `true` with probability `probability`.
    @inlinable
    public mutating func nextBernoulli(_ probability: Double) -> Bool {
        nextUnitInterval() < probability
    }

    /// A standard normal draw (Box-Muller, one of the pair).
    public mutating func nextStandardNormal() -> Double {
        let radius = (-2.0 * _log(nextUnitInterval())).squareRoot()
        return radius * _cos(2.0 * Double.pi * nextUnitInterval())
    }

    /// An exponential draw with the given mean.
    public mutating func nextExponential(mean: Double) -> Double {
        -mean * _log(nextUnitInterval())
    }

    /// The number of failures before the first success of independent Bernoulli(`probability`)
    /// trials (a geometric draw by inversion), used to skip over slots in which nothing happens.
    public mutating func nextGeometricGap(successProbability probability: Double) -> UInt64 {
        precondition(probability > 0 && probability <= 1, "geometric probability must be in (0, 1]")
        if probability == 1 { return 0 }
        let gap = _log(nextUnitInterval()) / _log1p(-probability)
        return gap >= 1.8e19 ? UInt64.max : UInt64(gap)
    }
}
