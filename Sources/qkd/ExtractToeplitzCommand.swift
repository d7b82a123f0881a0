import ArgumentParser
import Distillation
import QKDCore
import QKDNode

/// `qkd extract toeplitz`: the Toeplitz hash of an input file with a seed file.
struct ExtractToeplitzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toeplitz",
        abstract: "Toeplitz-hash N input bits to M output bits with an N + M - 1 bit seed.",
        discussion: """
            Convention (exactly): y_i = XOR over j of T[i][j] x_j for i in 0..<M and j in 0..<N, \
            with T[i][j] = s[i - j + N - 1]: row 0 reads s[N-1], s[N-2], ..., s[0] from left to \
            right and column 0 reads s[N-1], s[N], ..., s[N+M-2] from top to bottom. Equivalently, \
            y_i is the coefficient of t^(i+N-1) in S(t) X(t) over GF(2), with X(t) = sum x_j t^j \
            and S(t) = sum s_k t^k.

            Bit k of a file is x_k (input), s_k (seed) or y_k (output). Text files (default) hold \
            ASCII '0' and '1', bit 0 first; whitespace is ignored, anything else is an error. With \
            --binary, files are packed bytes, bit 0 in the most significant bit of byte 0, the \
            last byte padded with zeros. Every file must hold exactly the bits needed: N (input), \
            N + M - 1 (seed); in binary exactly ceil(bits / 8) bytes. The output has M bits in \
            the same format (text ends with a line break).

            Examples:
              qkd extract toeplitz --input-length 4 --output-length 3 --seed-file s.txt --input-file x.txt
              qkd extract toeplitz --input-length 1000000 --output-length 500000 --binary \\
                  --seed-file s.bin --input-file x.bin --output-file y.bin
            """
    )

    @Option(name: .customLong("input-length"), help: ArgumentHelp("Input bits N.", valueName: "N"))
    var inputLength: Int

    @Option(name: .customLong("output-length"), help: ArgumentHelp("Output bits M, at most N.", valueName: "M"))
    var outputLength: Int

    @Option(name: .customLong("seed-file"), help: ArgumentHelp("Seed of N + M - 1 bits.", valueName: "file"))
    var seedFile: String

    @Option(name: .customLong("input-file"), help: ArgumentHelp("Input of N bits.", valueName: "file"))
    var inputFile: String

    @Option(name: .customLong("output-file"), help: ArgumentHelp("Where to write the M output bits (default: standard output).", valueName: "file"))
    var outputFile: String?

    @Flag(help: "Files are packed bytes, most significant bit first, instead of '0'/'1' text.")
    var binary = false

    @Option(help: "Threads for large blocks.")
    var threads: Int = 2

    func run() throws {
        guard inputLength >= 1 else {
            throw QKDError(.invalidParameter, "--input-length \(inputLength) is below 1")
        }
        guard outputLength >= 1 && outputLength <= inputLength else {
            throw QKDError(.invalidParameter, "--output-length \(outputLength) is not in 1...\(inputLength) (the input length)")
        }
        let format: BitFile = binary ? .binary : .text
        let seedLength = ToeplitzHash.seedLength(inputLength: inputLength, outputLength: outputLength)
        let seed = try format.read(path: seedFile, count: seedLength, role: "seed file")
        let input = try format.read(path: inputFile, count: inputLength, role: "input file")
        let hash = try ToeplitzHash(inputLength: inputLength, outputLength: outputLength, seed: seed)
        try format.write(try hash.hash(input, threads: threads), path: outputFile)
    }
}
