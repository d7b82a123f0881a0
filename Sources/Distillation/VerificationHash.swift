import QKDCore

/// A universal hash for checking that Alice's and Bob's reconciled keys are equal.
///
/// The family is polynomial evaluation over the prime field `GF(p)`, `p = 2^61 − 1`
/// (Wegman and Carter, "New hash functions and their use in authentication and set equality",
/// JCSS 22 (1981) 265; the polynomial construction and its bound as in e.g. Stinson,
/// "Universal hashing and authentication codes", Des. Codes Cryptogr. 4 (1994) 369). A key of
/// `ℓ` bits is cut into `L = ⌈ℓ / 60⌉` chunks of 60 bits (bit `60 c + t` of the key is bit `t`
/// of chunk `c`; every chunk is below `p`, so chunks map one-to-one to field elements).
/// With the bit length `ℓ` as leading coefficient, the tag for evaluation point `r` is
///
///     h_r(key) = ℓ·r^L + chunk₀·r^(L−1) + … + chunk_(L−1)   (mod p),
///
/// computed by Horner's rule. For two different keys the difference of their polynomials is a
/// non-zero polynomial of degree at most `L` (the larger chunk count), which has at most `L`
/// roots, so for a uniform `r` the tags collide with probability at most `L / p`. The
/// `k` evaluation points are independent, so the full tag collides with probability at most
/// `(L / p)^k` (`collisionProbability(forBitLength:)`). The default `k = 2` gives a
/// 122-bit tag and, for a 10^6-bit key, a bound of about 5·10^-29.
///
/// Alice draws the evaluation points (`init(pointCount:using:)`), sends them with her tag, and
/// Bob compares with his tag; every tag bit sent counts as leaked (`tagBitCount`).
public struct VerificationHash: Sendable, Hashable {
    /// The field prime `p = 2^61 − 1`.
    public static let fieldPrime: UInt64 = (1 << 61) - 1
    /// The number of key bits per field element.
    public static let chunkBitCount = 60
    /// The number of bits of one tag element (an element of `GF(p)`).
    public static let bitsPerTagElement = 61
    /// The default number of evaluation points (a 2 × 61-bit tag).
    public static let defaultPointCount = 2

    /// The evaluation points, each in `0..<fieldPrime`; the hash key.
    public let evaluationPoints: [UInt64]

    /// Creates the hash for given evaluation points (as received from Alice). Throws
    /// `QKDError.invalidParameter` if there are none or one is not below `fieldPrime`.
    public init(evaluationPoints: [UInt64]) throws {
        guard !evaluationPoints.isEmpty else {
            throw QKDError(.invalidParameter, "verification hash needs at least one evaluation point")
        }
        if let index = evaluationPoints.firstIndex(where: { $0 >= Self.fieldPrime }) {
            throw QKDError(.invalidParameter, "verification hash evaluation point \(index) is not below 2^61 - 1")
        }
        self.evaluationPoints = evaluationPoints
    }

    /// Draws `pointCount` independent uniform evaluation points from `generator` (use a
    /// cryptographic generator in the shipped path). Throws if `pointCount` is below 1.
    public init<Generator: RandomNumberGenerator>(
        pointCount: Int = defaultPointCount, using generator: inout Generator
    ) throws {
        guard pointCount >= 1 else {
            throw QKDError(.invalidParameter, "verification hash point count \(pointCount) is below 1")
        }
        var points: [UInt64] = []
        while points.count < pointCount {
            let candidate = generator.next() >> 3
            if candidate < Self.fieldPrime { points.append(candidate) }
        }
        self.evaluationPoints = points
    }

    /// The number of tag bits disclosed when the tag is sent: 61 per evaluation point.
    public var tagBitCount: Int { evaluationPoints.count * Self.bitsPerTagElement }

    /// The number of 60-bit chunks `L` of a key of `bitLength` bits.
    public static func chunkCount(forBitLength bitLength: Int) -> Int {
        (bitLength + chunkBitCount - 1) / chunkBitCount
    }

    /// The bound `(L / p)^k` on the probability that two different keys of at most
    /// `bitLength` bits get the same tag, `L` their chunk count and `k` the number of points.
    public func collisionProbability(forBitLength bitLength: Int) -> Double {
        let perPoint = Double(max(1, Self.chunkCount(forBitLength: bitLength))) / Double(Self.fieldPrime)
        var bound = 1.0
        for _ in evaluationPoints { bound *= perPoint }
        return min(1, bound)
    }

    /// The tag of `key`: one element of `GF(p)` per evaluation point.
    public func tag(of key: BitVector) -> [UInt64] {
        let chunkCount = Self.chunkCount(forBitLength: key.count)
        let chunkMask: UInt64 = (1 << UInt64(Self.chunkBitCount)) - 1
        var accumulators = [UInt64](repeating: UInt64(key.count) % Self.fieldPrime, count: evaluationPoints.count)
        key.words.withUnsafeBufferPointer { words in
            for chunk in 0..<chunkCount {
                let firstBit = chunk * Self.chunkBitCount
                let wordIndex = firstBit >> 6
                let shift = UInt64(firstBit & 63)
                var value = words[wordIndex] >> shift
                if shift > 4, wordIndex + 1 < words.count { value |= words[wordIndex + 1] << (64 - shift) }
                value &= chunkMask
                for point in evaluationPoints.indices {
                    accumulators[point] = Self.add(
                        Self.multiply(accumulators[point], evaluationPoints[point]), value)
                }
            }
        }
        return accumulators
    }

    /// `a · b mod p` for `a, b < p`, with Mersenne reduction: for `x = a·b = H·2^61 + L`,
    /// `x ≡ H + L (mod p)`, and `H + L < 2p` needs at most one subtraction.
    private static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        let low = product.low & fieldPrime
        let high = (product.low >> 61) | (product.high << 3)
        let sum = low + high
        return sum >= fieldPrime ? sum - fieldPrime : sum
    }

    /// `a + b mod p` for `a, b < p`.
    private static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let sum = a + b
        return sum >= fieldPrime ? sum - fieldPrime : sum
    }
}
