import Distillation
import Foundation
import KeyManagement
import LinkProtocol
import Photonics
import QKDCore
import QKDNode
import Testing

/// Blocks long enough to give key take minutes of LDPC in a debug build: set QKD_TEST_LDPC_LINK=1.
let slowLDPCTestsEnabled = ProcessInfo.processInfo.environment["QKD_TEST_LDPC_LINK"] == "1"

@Suite struct LDPCLinkTests {
    @Test(.enabled(if: slowLDPCTestsEnabled, "set QKD_TEST_LDPC_LINK=1 (minutes in a debug build)"))
    func ldpcBlocksGiveIdenticalVerifiedKeys() throws {
        let configuration = try fiftyKilometreLink(reconciliation: .ldpc, blockSize: 20000)
        #expect(configuration.postProcessing.reconciliation == .ldpc)
        var runner = try DemoRunner(configuration: configuration, durationSeconds: 12, seed: 3, keyDirectory: try temporaryFolder())
        runner.settings.frameSeconds = 1
        let result = try runner.run()
        let reconciled = result.blocks.filter { $0.method != nil }
        #expect(reconciled.count >= 2)
        #expect(reconciled.allSatisfy { $0.method == .ldpc && $0.verified && $0.roundTrips >= 1 })
        #expect(result.summary.blocksByMethod == ["ldpc": reconciled.count])
        #expect(result.summary.keysIdentical)
        #expect(result.summary.keysStored > 0)
        // Bob's decoding corrected every error: the Z QBER is the link's (about 3 % at 50 km).
        #expect(abs(result.summary.qberZ - 0.03) < 0.02)
        // From the second block on, the rate follows the previous block's Z QBER: f above 1 but
        // below the 1.3 at which a frame fails (the first block's X-basis estimate is higher).
        for block in reconciled.dropFirst() {
            #expect(block.efficiency > 1 && block.efficiency < 1.3, "block \(block.blockID): f = \(block.efficiency)")
        }
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(reconciled[0])) as? [String: Any]
        #expect(json?["method"] as? String == "ldpc")
        // Foundation's JSON reader may round the last digit of a double, so equal to 1e-12.
        let efficiency = try #require(json?["efficiency"] as? Double)
        #expect(abs(efficiency - reconciled[0].efficiency) <= 1e-12 * reconciled[0].efficiency)
    }

    @Test func aCorruptedSyndromeDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .ldpc), seed: 4)
        link.tamper = { message, _, _ in
            guard case .ldpc(1, .syndrome(let plan, let syndrome)) = message else { return nil }
            let shortened = BitVector(bits: (0..<(syndrome.count - 1)).map { syndrome[$0] })
            return LinkMessageCodec().encode(.ldpc(blockID: 1, .syndrome(plan: plan, syndrome: shortened)))
        }
        try link.run(seconds: 4)
        let discarded = link.bob.reports.filter { $0.blockID == 1 }
        #expect(discarded.count == 1 && discarded[0].discardReason?.contains("syndrome has") == true, "\(discarded)")
        #expect(link.bobErrors.count == 1 && link.bobErrors[0].hasPrefix("block 1: LDPC syndrome"), "\(link.bobErrors)")
        #expect(link.aliceErrors == ["Bob discarded block 1: \(link.bobErrors[0])"])
        link.expectOtherBlocksUntouched(except: 1, method: .ldpc)
    }

    @Test func aTruncatedRevealDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .ldpc), seed: 4)
        link.tamper = { message, bytes, _ in
            guard case .ldpc(0, .syndrome) = message else { return nil }
            return Array(bytes.dropLast(3))
        }
        try link.run(seconds: 4)
        #expect(link.bob.reports.first { $0.blockID == 0 }?.discardReason?.hasPrefix("LDPC message for block 0: message truncated") == true)
        #expect(link.bobErrors.count == 1 && link.bobErrors[0].hasPrefix("LDPC message for block 0: message truncated"), "\(link.bobErrors)")
        #expect(link.aliceErrors.count == 1 && link.aliceErrors[0].hasPrefix("Bob discarded block 0"), "\(link.aliceErrors)")
        link.expectOtherBlocksUntouched(except: 0, method: .ldpc)
    }

    /// Each side reports a message for a block it does not hold and tells the peer, which holds
    /// no such block either and only reports it.
    @Test func messagesForUnknownBlocksAreAnsweredAndChangeNothing() throws {
        let link = try TamperableLink(configuration: try fiftyKilometreLink(reconciliation: .ldpc), seed: 4)
        try link.run(seconds: 2)
        let reportsBefore = link.bob.reports
        try link.inject(.ldpc(blockID: 99, .reveal(values: BitVector(count: 8))), toBob: true)
        try link.inject(.ldpc(blockID: 99, .accepted), toBob: false)
        let refusal = "LDPC message for block 99, which is not open with LDPC"
        #expect(link.bobErrors == [refusal + ": ignored", "Alice discarded block 99: " + refusal])
        #expect(link.aliceErrors == ["Bob discarded block 99: " + refusal, refusal + ": ignored"])
        #expect(link.bob.reports == reportsBefore)
        try link.run(seconds: 2)
        link.expectOtherBlocksUntouched(except: nil, method: .ldpc)
    }
}
