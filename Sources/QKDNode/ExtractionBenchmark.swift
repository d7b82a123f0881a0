import Distillation
import Foundation
import QKDCore

/// A timed Toeplitz hash of a random block: the figures `qkd bench extract` reports.
public struct ExtractionBenchmark: Codable, Sendable {
    /// The input length `n` in bits.
    public let inputLength: Int
    /// The output length `m` in bits.
    public let outputLength: Int
    /// Threads the hash may use.
    public let threads: Int
    /// The algorithm that ran: with `automatic`, `direct`, `karatsuba-vpclmulqdq`,
    /// `karatsuba-portable` or `additive-fft`; otherwise the one asked for.
    public let algorithm: String
    /// Wall-clock seconds of the fastest repetition of the hash alone (input and seed exist).
    public let seconds: Double
    /// Input megabits (10^6 bits) hashed per second.
    public let inputMbps: Double
    /// Peak resident memory of the whole process (getrusage `ru_maxrss`), in bytes.
    public let peakMemoryBytes: Int
    /// `peakMemoryBytes / inputLength`.
    public let peakBytesPerInputBit: Double
    /// Repetitions timed.
    public let repetitions: Int
    /// True when the hash was recomputed with Karatsuba and matched (nil: not checked).
    public let matchesKaratsuba: Bool?

    /// Hashes a random `inputLength`-bit block with a random seed (fixed generator seed 1)
    /// `repetitions` times with `algorithm` and keeps the fastest; with `checkAgainstKaratsuba`,
    /// also hashes once with Karatsuba (untimed) and compares. Throws
    /// `QKDError.invalidParameter` for lengths the hash rejects, `threads < 1` or
    /// `repetitions < 1`, and `QKDError.protocolFailure` if the check finds a difference.
    public init(
        inputLength: Int, outputLength: Int, threads: Int, repetitions: Int,
        algorithm: ToeplitzHash.Algorithm = .automatic, checkAgainstKaratsuba: Bool = false
    ) throws {
        guard repetitions >= 1 else {
            throw QKDError(.invalidParameter, "repetitions \(repetitions) is below 1")
        }
        guard inputLength >= 1, outputLength >= 1 else {
            throw QKDError(.invalidParameter, "input length \(inputLength) and output length \(outputLength) must be at least 1")
        }
        var generator = SeededGenerator(seed: 1, stream: "extraction-benchmark")
        let input = BitVector(randomCount: inputLength, using: &generator)
        let seed = BitVector(
            randomCount: ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength), using: &generator)
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        var fastest = Double.infinity
        var output = BitVector(count: 0)
        for _ in 0..<repetitions {
            let clock = ContinuousClock()
            let start = clock.now
            output = try hash.hash(input, threads: threads, algorithm: algorithm)
            let elapsed = start.duration(to: clock.now)
            fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        if checkAgainstKaratsuba {
            guard try hash.hash(input, threads: threads, algorithm: .karatsuba) == output else {
                throw QKDError(.protocolFailure, "the \(algorithm.rawValue) hash differs from Karatsuba at n = \(inputLength), m = \(outputLength)")
            }
            matchesKaratsuba = true
        } else {
            matchesKaratsuba = nil
        }
        self.inputLength = inputLength
        self.outputLength = outputLength
        self.threads = threads
        self.algorithm = algorithm == .automatic
            ? ToeplitzHash.algorithmName(inputLength: inputLength, outputLength: outputLength) : algorithm.rawValue
        self.seconds = fastest
        self.inputMbps = Double(inputLength) / fastest / 1e6
        self.peakMemoryBytes = Self.peakResidentBytes()
        self.peakBytesPerInputBit = Double(peakMemoryBytes) / Double(inputLength)
        self.repetitions = repetitions
    }

    /// One line for people.
    public var text: String {
        let check = matchesKaratsuba == true ? ", same hash as Karatsuba" : ""
        return String(
            format: "n = %d, m = %d, %d thread%@ (%@): %.4f s, %.1f Mbit/s of input, peak memory %.1f MB (%.2f bytes per input bit)",
            inputLength, outputLength, threads, threads == 1 ? "" : "s", algorithm, seconds, inputMbps,
            Double(peakMemoryBytes) / 1e6, peakBytesPerInputBit) + check
    }

    private static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return usage.ru_maxrss * 1024  // kilobytes on Linux
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return usage.ru_maxrss  // bytes on macOS
        #endif
    }
}
