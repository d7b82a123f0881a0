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
final class TamperableLink {
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

/// The 50 km link (QBER about 3 %) reconciled with `reconciliation`, in blocks of `blockSize` bits.
func fiftyKilometreLink(reconciliation: ReconciliationSetting, blockSize: Int = 4000) throws -> NodeConfiguration {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = try writeFile("""
        { "preset": "paper-120km", "fiber": { "lengthKm": 50 }, "postProcessing": { "blockSize": \(blockSize), "reconciliation": "\(reconciliation.rawValue)" } }
        """, named: "link.json", in: folder)
    return try PresetCatalog.configuration(file: path)
}

extension TamperableLink {
    /// Every other finished block went through `method` untouched by the error: none was discarded
    /// for it, at least one was verified, the two key stores agree, and they hold exactly the
    /// keys of the verified blocks (nothing of a discarded block).
    func expectOtherBlocksUntouched(except tampered: UInt64?, method: ReconciliationMethod, sourceLocation: SourceLocation = #_sourceLocation) {
        let others = bob.reports.filter { $0.blockID != tampered && $0.method != nil }
        #expect(others.contains { $0.verified && $0.method == method }, "\(others)", sourceLocation: sourceLocation)
        #expect(others.allSatisfy { $0.verified || $0.discardReason == "LDPC decoding failed with the whole reveal budget spent" },
                "\(others)", sourceLocation: sourceLocation)
        #expect(expectIdenticalKeys() == bob.reports.filter(\.verified).map(\.keysStored).reduce(0, +), sourceLocation: sourceLocation)
    }
}
