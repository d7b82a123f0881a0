import QKDCore

/// Information-theoretic message authentication (Wegman and Carter, "New hash functions and their
/// use in authentication and set equality", JCSS 22 (1981) 265).
///
/// The hash is polynomial evaluation over `GF(p)`, `p = 2^61 − 1`: a message of `n` bytes is cut
/// into `L = ⌈n / 7⌉` chunks of 7 bytes (each below `p`), and with the byte length as leading
/// coefficient
///
///     h_r(m) = n·r^L + m₀·r^(L−1) + … + m_(L−1)   (mod p).
///
/// Two different messages of at most `L` chunks give a non-zero difference polynomial of degree
/// at most `L`, so for a uniform secret `r`, `h_r(m) − h_r(m')` takes any given value with
/// probability at most `L / p` (an ε-almost-Δ-universal family; Stinson, Des. Codes Cryptogr. 4
/// (1994) 369). The tag is `t = (h_r(m) + s) mod 2^64` with a fresh uniform 64-bit one-time pad
/// `s`, so `t` is uniform and reveals nothing about `r`, which may therefore be kept for every
/// message (key recycling; Portmann, IEEE Trans. Inf. Theory 60, 4383 (2014)). A forger who saw
/// `(m, t)` and sends `(m', t')` succeeds only if `h_r(m') − h_r(m)` equals one of the two integers
/// congruent to `t' − t` modulo 2^64 in `(−p, p)`, with probability at most
/// `2L / p` (``forgeryProbability(byteCount:)``): below 3.7·10^-15 for a 64 KiB frame.
public struct WegmanCarterAuthenticator: Sendable {
    /// The field prime `p = 2^61 − 1`.
    public static let fieldPrime: UInt64 = (1 << 61) - 1
    /// Message bytes per field element.
    public static let chunkByteCount = 7
    /// Bits of one-time pad consumed per tag.
    public static let padBitCount = 64

    /// The secret evaluation point `r`, below `fieldPrime`.
    public let hashKey: UInt64

    /// Creates an authenticator from 64 secret bits; the top three bits are dropped and the one
    /// value `p` itself (probability 2^-61) maps to 0.
    public init(secretBits: UInt64) {
        let candidate = secretBits >> 3
        hashKey = candidate == Self.fieldPrime ? 0 : candidate
    }

    /// The hash `h_r(message)`.
    public func hash(_ message: [UInt8]) -> UInt64 {
        var accumulator = UInt64(message.count) % Self.fieldPrime
        var index = 0
        while index < message.count {
            var chunk: UInt64 = 0
            let end = min(index + Self.chunkByteCount, message.count)
            for position in index..<end { chunk = chunk << 8 | UInt64(message[position]) }
            accumulator = Self.add(Self.multiply(accumulator, hashKey), chunk)
            index = end
        }
        return accumulator
    }

    /// The tag of `message` under the one-time pad `pad`.
    public func tag(_ message: [UInt8], pad: UInt64) -> UInt64 { hash(message) &+ pad }

    /// Whether `tag` authenticates `message` under `pad`.
    public func isValid(tag: UInt64, for message: [UInt8], pad: UInt64) -> Bool {
        self.tag(message, pad: pad) == tag
    }

    /// The probability that a forger substitutes a message of `byteCount` bytes undetected.
    public static func forgeryProbability(byteCount: Int) -> Double {
        let chunks = (byteCount + chunkByteCount - 1) / chunkByteCount
        return 2 * Double(max(chunks, 1)) / Double(fieldPrime)
    }

    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return reduce((low & fieldPrime) + (low >> 61) + (high << 3))
    }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 { reduce(a + b) }

    private static func reduce(_ value: UInt64) -> UInt64 {
        var folded = (value & fieldPrime) + (value >> 61)
        if folded >= fieldPrime { folded -= fieldPrime }
        return folded
    }
}
