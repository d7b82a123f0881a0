import Distillation
import Foundation
import QKDCore
import QKDNode
import Testing

@Suite struct ReconciliationSelectorTests {
    private let node = ReconciliationSelector(setting: .auto, roundTripCostBits: ReconciliationSelector.authenticatedRoundTripCostBits)
    private let inProcess = ReconciliationSelector(setting: .auto, roundTripCostBits: 0)

    /// The rule's points: on an authenticated link, LDPC's few round trips outweigh its worse f
    /// for blocks of 10^5 to 10^6 bits (Cascade's round trips cost 2 · 64 pad bits each); for a
    /// 10^8-bit block at 1 % the efficiency gap (0.023 · n h) outweighs them, and with free round
    /// trips the lower f of Cascade always wins.
    @Test(arguments: [
        (800_000, 0.068, true, ReconciliationMethod.ldpc),  // the 120 km demo's blocks
        (100_000, 0.02, true, .ldpc),
        (100_000, 0.07, true, .ldpc),
        (100_000_000, 0.01, true, .cascade),  // efficiency outweighs round trips
        (20_000, 0.03, true, .cascade),  // below the smallest LDPC block
        (800_000, 0.15, true, .cascade),  // no LDPC code at this QBER
        (800_000, 0.068, false, .cascade),  // first block: X-basis estimate only
    ])
    func autoOnAnAuthenticatedLink(blockSize: Int, qber: Double, measured: Bool, expected: ReconciliationMethod) {
        #expect(node.method(estimatedQBER: qber, blockSize: blockSize, measuredByPreviousBlock: measured) == expected)
    }

    @Test func theChoiceIsTheCheaperExpectedCost() throws {
        for (blockSize, qber) in [(100_000, 0.02), (800_000, 0.068), (100_000_000, 0.01), (300_000, 0.05)] {
            let cascade = try #require(node.expectedCost(of: .cascade, estimatedQBER: qber, blockSize: blockSize))
            let ldpc = try #require(node.expectedCost(of: .ldpc, estimatedQBER: qber, blockSize: blockSize))
            let chosen = node.method(estimatedQBER: qber, blockSize: blockSize, measuredByPreviousBlock: true)
            #expect(chosen == (ldpc < cascade ? .ldpc : .cascade), "n = \(blockSize), QBER \(qber)")
            // Without round-trip costs only the disclosed bits remain: f n h(QBER).
            let entropy = Double(blockSize) * QKDMath.binaryEntropy(qber)
            #expect(abs(try #require(inProcess.expectedCost(of: .cascade, estimatedQBER: qber, blockSize: blockSize)) - ReconciliationSelector.cascadeEfficiency * entropy) < 1e-6)
            #expect(inProcess.method(estimatedQBER: qber, blockSize: blockSize, measuredByPreviousBlock: true) == .cascade)
        }
        #expect(node.expectedCost(of: .ldpc, estimatedQBER: 0.5, blockSize: 1000) == nil)
    }

    /// Searching the lowest pass first saves parities but doubles Cascade's round trips, so the
    /// selector asks for it only where round trips are free.
    @Test func cascadeSearchesLowestPassFirstOnlyWhereRoundTripsAreFree() {
        #expect(inProcess.cascadeParameters(estimatedQBER: 0.05, blockSize: 20_000).searchesLowestPassFirst)
        #expect(!node.cascadeParameters(estimatedQBER: 0.05, blockSize: 20_000).searchesLowestPassFirst)
        var expected = node.cascadeParameters(estimatedQBER: 0.05, blockSize: 20_000)
        expected.searchesLowestPassFirst = true
        #expect(expected == CascadeParameters.tuned(forQBER: 0.05, blockSize: 20_000), "only the search order differs")
    }

    @Test func fixedSettings() {
        let cascade = ReconciliationSelector(setting: .cascade, roundTripCostBits: 128)
        let ldpc = ReconciliationSelector(setting: .ldpc, roundTripCostBits: 0)
        #expect(cascade.method(estimatedQBER: 0.05, blockSize: 800_000, measuredByPreviousBlock: true) == .cascade)
        #expect(ldpc.method(estimatedQBER: 0.05, blockSize: 2_000, measuredByPreviousBlock: false) == .ldpc)
        #expect(ldpc.method(estimatedQBER: 0.2, blockSize: 800_000, measuredByPreviousBlock: true) == .cascade, "no LDPC code above 13 %")
    }

    @Test func configurationFilesNameTheMethod() throws {
        let folder = try temporaryFolder()
        #expect(try PresetCatalog.configuration(named: "paper-120km").postProcessing.reconciliation == .cascade)
        let auto = try writeFile(#"{ "preset": "paper-120km", "postProcessing": { "reconciliation": "auto" } }"#, named: "auto.json", in: folder)
        #expect(try PresetCatalog.configuration(file: auto).postProcessing.reconciliation == .auto)
        let bad = try writeFile(#"{ "preset": "paper-120km", "postProcessing": { "reconciliation": "turbo" } }"#, named: "bad.json", in: folder)
        #expect(throws: QKDError.self) { try PresetCatalog.configuration(file: bad) }
    }
}
