import Distillation
import Foundation
import KeyManagement
import LinkProtocol
import Photonics
import QKDCore
import QKDNode
import Testing

/// Alice's and Bob's endpoints joined by two message queues that cross the real codec, with a
/// hook that may rewrite or truncate any message on its way; undecodable messages are handled as
/// `NodeRuntime` handles them (only the block they name is discarded).
private final class TamperableLink {
    final class Queue: MessageTransport {
        var messages: [LinkMessage] = []
        func send(_ message: LinkMessage) { messages.append(message) }
    }

    let alice: AliceEndpoint
    let bob: BobEndpoint
    let aliceStore = MemoryKeyStore()
    let bobStore = MemoryKeyStore()
    var aliceErrors: [String] = []
    var bobErrors: [String] = []
    /// Returns the bytes to deliver for a message (nil: deliver unchanged).
    var tamper: (_ message: LinkMessage, _ bytes: [UInt8], _ toBob: Bool) -> [UInt8]? = { _, _, _ in nil }
    private let toBob = Queue(), toAlice = Queue()
    private let codec = LinkMessageCodec()
    private var emulator: LinkEmulator
    private let slotsPerSecond: UInt64

    init(configuration: NodeConfiguration, seed: UInt64) throws {
        let aliceStore = self.aliceStore, bobStore = self.bobStore
        alice = try AliceEndpoint(configuration: configuration, channel: toBob, seed: seed) { aliceStore }
        bob = try BobEndpoint(configuration: configuration, channel: toAlice, seed: seed) { bobStore }
        emulator = LinkEmulator(configuration: configuration.link, seed: seed)
        slotsPerSecond = UInt64(configuration.link.source.repetitionRate)
        alice.onBlockError = { [unowned self] in aliceErrors.append($0.message) }
        bob.onBlockError = { [unowned self] in bobErrors.append($0.message) }
    }

    /// Emulates `seconds` of link time in 1 s frames, exchanging messages after each (the last,
    /// partial block stays open).
    func run(seconds: Int) throws {
        for _ in 0..<seconds {
            let frame = emulator.emulate(slotCount: slotsPerSecond)
            alice.ingest(frame.alice)
            try bob.ingest(firstSlot: frame.firstSlot, slotCount: frame.slotCount, detections: frame.bob)
            try exchange()
        }
    }

    /// Delivers a message as if it had come from the peer.
    func inject(_ message: LinkMessage, toBob: Bool) throws {
        (toBob ? self.toBob : toAlice).messages.append(message)
        try exchange()
    }

    private func exchange() throws {
        while !toBob.messages.isEmpty || !toAlice.messages.isEmpty {
            for (queue, isBob) in [(toBob, true), (toAlice, false)] {
                let batch = queue.messages
                queue.messages.removeAll()
                for message in batch {
                    let encoded = codec.encode(message)
                    let bytes = tamper(message, encoded, isBob) ?? encoded
                    let decoded: LinkMessage
                    do {
                        decoded = try codec.decode(bytes)
                    } catch let error as QKDError {
                        let blockID = try #require(codec.blockScope(ofUndecodable: bytes), "\(error)")
                        if isBob { try bob.discardBlock(blockID, because: error, tellingPeer: true) } else {
                            alice.discardBlock(blockID, because: error, tellingPeer: true)
                        }
                        continue
                    }
                    if isBob { try bob.handle(decoded) } else { try alice.handle(decoded) }
                }
            }
        }
    }

    /// Both stores hold the same IDs with the same bits; returns the key count.
    func expectIdenticalKeys() -> Int {
        let ids = aliceStore.keyIDs()
        #expect(ids == bobStore.keyIDs())
        for id in ids { #expect(aliceStore.key(id: id)?.bytes == bobStore.key(id: id)?.bytes) }
        return ids.count
    }
}

/// The 50 km link (QBER about 3 %) reconciled with LDPC, in blocks of `blockSize` bits.
private func ldpcLink(blockSize: Int = 4000) throws -> NodeConfiguration {
    let path = try writeFile("""
        { "preset": "paper-120km", "fiber": { "lengthKm": 50 }, "postProcessing": { "blockSize": \(blockSize), "reconciliation": "ldpc" } }
        """, named: "ldpc.json", in: try temporaryFolder())
    return try PresetCatalog.configuration(file: path)
}

/// Blocks long enough to give key take minutes of LDPC in a debug build: set QKD_TEST_LDPC_LINK=1.
let slowLDPCTestsEnabled = ProcessInfo.processInfo.environment["QKD_TEST_LDPC_LINK"] == "1"

@Suite struct LDPCLinkTests {
    @Test(.enabled(if: slowLDPCTestsEnabled, "set QKD_TEST_LDPC_LINK=1 (minutes in a debug build)"))
    func ldpcBlocksGiveIdenticalVerifiedKeys() throws {
        let configuration = try ldpcLink(blockSize: 20000)
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
        #expect(json?["efficiency"] as? Double == reconciled[0].efficiency)
    }

    @Test func aCorruptedSyndromeDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try ldpcLink(), seed: 4)
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
        expectOtherBlocksUntouched(link, except: 1)
    }

    @Test func aTruncatedRevealDiscardsOnlyItsBlock() throws {
        let link = try TamperableLink(configuration: try ldpcLink(), seed: 4)
        link.tamper = { message, bytes, _ in
            guard case .ldpc(0, .syndrome) = message else { return nil }
            return Array(bytes.dropLast(3))
        }
        try link.run(seconds: 4)
        #expect(link.bob.reports.first { $0.blockID == 0 }?.discardReason?.hasPrefix("LDPC message for block 0: message truncated") == true)
        #expect(link.bobErrors.count == 1 && link.bobErrors[0].hasPrefix("LDPC message for block 0: message truncated"), "\(link.bobErrors)")
        #expect(link.aliceErrors.count == 1 && link.aliceErrors[0].hasPrefix("Bob discarded block 0"), "\(link.aliceErrors)")
        expectOtherBlocksUntouched(link, except: 0)
    }

    @Test func messagesForUnknownBlocksAreReportedAndChangeNothing() throws {
        let link = try TamperableLink(configuration: try ldpcLink(), seed: 4)
        try link.run(seconds: 2)
        let reportsBefore = link.bob.reports
        try link.inject(.ldpc(blockID: 99, .reveal(values: BitVector(count: 8))), toBob: true)
        try link.inject(.ldpc(blockID: 99, .accepted), toBob: false)
        #expect(link.bobErrors == ["LDPC message for block 99, which is not open with LDPC: ignored"])
        #expect(link.aliceErrors == ["LDPC message for block 99, which is not open with LDPC: ignored"])
        #expect(link.bob.reports == reportsBefore)
        try link.run(seconds: 2)
        expectOtherBlocksUntouched(link, except: nil)
    }

    /// Every other finished block went through LDPC untouched by the error: none was discarded for
    /// it, at least one was verified, and the two key stores agree.
    private func expectOtherBlocksUntouched(_ link: TamperableLink, except tampered: UInt64?) {
        let others = link.bob.reports.filter { $0.blockID != tampered && $0.method != nil }
        #expect(others.contains { $0.verified && $0.method == .ldpc }, "\(others)")
        #expect(others.allSatisfy { $0.verified || $0.discardReason == "LDPC decoding failed with the whole reveal budget spent" }, "\(others)")
        _ = link.expectIdenticalKeys()
    }
}
