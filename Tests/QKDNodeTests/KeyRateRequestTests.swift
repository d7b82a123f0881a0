import Foundation
import QKDCore
import QKDNode
import Testing

@Suite struct KeyRateRequestTests {
    /// A demo block written in the keyrate format and read back gives the block's secret length:
    /// the CLI audit path computes exactly what the link delivered.
    @Test func exportedBlocksReproduceTheDemo() throws {
        let folder = try temporaryFolder()
        let path = try writeFile("""
            { "preset": "paper-120km", "fiber": { "lengthKm": 50 }, "postProcessing": { "blockSize": 20000 } }
            """, named: "short.json", in: folder)
        let configuration = try PresetCatalog.configuration(file: path)
        var runner = try DemoRunner(configuration: configuration, durationSeconds: 6, seed: 3, keyDirectory: folder)
        runner.settings.frameSeconds = 1
        let result = try runner.run()
        #expect(result.blocks.contains { $0.secretBits > 0 })
        let requests = result.blocks.map { KeyRateRequest(block: $0, configuration: configuration) }
        let encoder = JSONEncoder()
        let file = folder + "/blocks.json"
        try encoder.encode(requests).write(to: URL(fileURLWithPath: file))
        let loaded = try KeyRateRequest.load(path: file)
        #expect(loaded == requests)
        for (request, block) in zip(loaded, result.blocks) {
            #expect(try request.evaluate().secretBits == block.secretBits, "block \(block.blockID)")
            #expect(request.counts[0].early[1] + request.counts[0].late[0] == UInt64(block.correctedErrors), "Z errors are split")
        }
    }

    @Test(arguments: [
        ("\"early\": [-5, 1, 2, 3]", "counts[0].early must hold non-negative whole numbers"),
        ("\"epsilonSecrecy\": 1.5", "epsilon secrecy must be in (0, 1)"),
        ("\"epsilonCorrectness\": 0", "epsilon correctness must be in (0, 1)"),
        ("\"pulses\": 10", "exceeds the 10 pulses sent"),
        ("\"protocol\": \"bb84\"", "unknown protocol \"bb84\""),
        ("\"leakage\": -3", "leakage must be non-negative"),
    ])
    func badCountsNameTheProblem(replacement: String, expected: String) throws {
        let key = String(replacement.split(separator: ":")[0])
        var text = Self.validRequest
        let pattern = replacement.contains("[") ? "\(key): \\[[^\\]]*\\]" : "\(key): [^,\\n]*"
        let range = text.range(of: pattern, options: .regularExpression)!
        text.replaceSubrange(range, with: replacement)
        let path = try writeFile(text, named: "counts.json", in: try temporaryFolder())
        do {
            _ = try KeyRateRequest.load(path: path).map { try $0.evaluate() }
            Issue.record("accepted \(replacement)")
        } catch let error as QKDError {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func missingFieldsAreNamed() throws {
        let path = try writeFile(Self.validRequest.replacingOccurrences(of: "\"leakage\": 1000,", with: ""), named: "counts.json", in: try temporaryFolder())
        #expect(throws: QKDError(.malformedInput, "\(path): missing field leakage")) { try KeyRateRequest.load(path: path) }
    }

    static let validRequest = """
        {
          "protocol": "three-state-single-photon",
          "zBasisProbability": 0.5,
          "bobBasisRatio": 1,
          "source": { "meanPhotonNumber": 0.0065, "g2": 0.0085 },
          "epsilonCorrectness": 1e-15,
          "epsilonSecrecy": 1e-9,
          "leakage": 1000,
          "counts": [ { "pulses": 1000000000,
                        "early": [9000, 600, 5000, 5000],
                        "late": [600, 9000, 5000, 5000],
                        "plus": [10000, 10000, 18000, 2000] } ]
        }
        """
}
