import Foundation
import Testing

/// `qkd extract toeplitz` and `qkd bench extract` through the built executable.
@Suite struct ExtractCommandTests {
    /// Writes `contents` to a fresh temporary file and returns its path.
    private func temporaryFile(_ contents: Data) throws -> String {
        let path = scratchPath("qkd-extract")
        try contents.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The hand-checked vector of ToeplitzHashTests: n = 4, m = 3, x = 1101, s = 011010, y = 100.
    @Test func textFilesGiveTheHandCheckedHash() throws {
        let seed = try temporaryFile(Data("01 10\n10\n".utf8))
        let input = try temporaryFile(Data("1 1 0 1".utf8))
        let result = try runQKD([
            "extract", "toeplitz", "--input-length", "4", "--output-length", "3", "--seed-file", seed, "--input-file", input,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "100\n")
    }

    /// The same vector packed most-significant bit first: x = 1101 0000, s = 0110 1000, y = 1000 0000.
    @Test func binaryFilesGiveTheHandCheckedHash() throws {
        let seed = try temporaryFile(Data([0b0110_1000]))
        let input = try temporaryFile(Data([0b1101_0000]))
        let output = scratchPath("qkd-extract")
        let result = try runQKD([
            "extract", "toeplitz", "--input-length", "4", "--output-length", "3", "--binary",
            "--seed-file", seed, "--input-file", input, "--output-file", output,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: output) == Data([0b1000_0000]))
    }

    @Test(arguments: [
        ("4", "3", "01101", "1101", false, "has 5 bits but 6 are needed"),
        ("4", "5", "01101000", "1101", false, "--output-length 5 is not in 1...4"),
        ("4", "3", "011010", "11a1", false, "'a' at offset 2"),
        ("4", "3", "011010", "110", false, "input file"),
        ("4", "3", "0110", "1101", true, "has 4 bytes"),
    ])
    func badInputIsOneLineAndExitCodeTwo(
        inputLength: String, outputLength: String, seedText: String, inputText: String, binary: Bool, expected: String
    ) throws {
        let seed = try temporaryFile(Data(seedText.utf8))
        let input = try temporaryFile(Data(inputText.utf8))
        let result = try runQKD(
            ["extract", "toeplitz", "--input-length", inputLength, "--output-length", outputLength, "--seed-file", seed, "--input-file", input]
                + (binary ? ["--binary"] : []))
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func missingFileIsOneLineAndExitCodeTwo() throws {
        let input = try temporaryFile(Data("1101".utf8))
        let result = try runQKD([
            "extract", "toeplitz", "--input-length", "4", "--output-length", "3", "--seed-file", "/nonexistent/seed", "--input-file", input,
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/seed"), "\(result.stderr)")
    }

    @Test func benchJSONHasTheDocumentedFields() throws {
        let result = try runQKD(["bench", "extract", "--input-length", "20000", "--output-length", "10000", "--threads", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        for field in ["inputLength", "outputLength", "threads", "seconds", "inputMbps", "peakMemoryBytes"] {
            #expect(object?[field] != nil, "\(field)")
        }
        #expect(object?["inputLength"] as? Int == 20000)
    }

    @Test func benchCheckComparesTheFFTWithKaratsuba() throws {
        let result = try runQKD([
            "bench", "extract", "--input-length", "30001", "--output-length", "29000", "--algorithm", "additive-fft", "--check", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["matchesKaratsuba"] as? Bool == true)
        #expect(object?["algorithm"] as? String == "additive-fft")
    }
}
