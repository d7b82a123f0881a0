import Distillation
import Foundation
import KeyManagement
import LinkProtocol
import Photonics
import QKDCore
import Security

/// Alice's node: it sees only her own device's records and the messages from Bob.
///
/// It answers Bob's sifting announcements, accumulates sifted bits into blocks, answers Cascade's
/// parity requests, checks Bob's verification tag, and orders privacy amplification with a
/// Toeplitz seed and key IDs drawn from her generator (seeded here for reproducible runs; a
/// hardware node draws them from its entropy source).
public final class AliceEndpoint {
    private let configuration: NodeConfiguration
    private let channel: InMemoryChannel
    private let extraction: KeyExtraction
    private let openStore: () throws -> KeyStore
    private var store: KeyStore?
    private var generator: SeededGenerator
    private var records: [AliceRecord] = []
    private var recordsStart = 0
    private var buffer = SiftedBlockBuffer()
    private var block: (id: UInt64, key: BitVector, counts: ThreeStateCounts, cascade: CascadeAlice)?

    /// Creates Alice's endpoint; `openStore` is called when the first key is to be stored.
    public init(configuration: NodeConfiguration, channel: InMemoryChannel, seed: UInt64, openStore: @escaping () throws -> KeyStore) throws {
        self.configuration = configuration
        self.channel = channel
        self.extraction = try KeyExtraction(configuration: configuration)
        self.openStore = openStore
        self.generator = SeededGenerator(seed: seed, stream: "alice-node")
    }

    /// Takes the next records of Alice's device, in slot order.
    public func ingest(_ newRecords: [AliceRecord]) {
        if recordsStart > 0 {
            records.removeFirst(recordsStart)
            recordsStart = 0
        }
        records.append(contentsOf: newRecords)
    }

    /// Handles one message from Bob, sending whatever the protocol requires in reply.
    public func handle(_ message: LinkMessage) throws {
        switch message {
        case .siftingAnnouncement(let announcement):
            let states = try states(for: announcement)
            let reply = try ThreeStateSifting.reply(to: announcement, aliceStates: states)
            buffer.append(try ThreeStateSifting.aliceOutcome(announcement: announcement, reply: reply, aliceStates: states))
            channel.send(.siftingReply(reply))
        case .blockStart(let start):
            try openBlock(start)
        case .cascade(let blockID, let cascadeMessage):
            guard var current = block, current.id == blockID else {
                throw QKDError(.protocolFailure, "Cascade message for block \(blockID), which is not open")
            }
            let response = try current.cascade.respond(to: cascadeMessage)
            block = current
            channel.send(.cascade(blockID: blockID, response))
        case .verificationTag(let blockID, let hashKey, let tag):
            try verify(blockID: blockID, hashKey: hashKey, bobTag: tag)
        default:
            throw QKDError(.protocolFailure, "Alice received a message only Alice sends")
        }
    }

    /// Alice's states for the announced slots, by a merge over her records.
    private func states(for announcement: SiftingAnnouncement) throws -> [UInt8] {
        var states = [UInt8]()
        states.reserveCapacity(announcement.slots.count)
        var index = recordsStart
        for slot in announcement.slots {
            while index < records.count, records[index].slot < slot { index += 1 }
            guard index < records.count, records[index].slot == slot else {
                throw QKDError(.protocolFailure, "Bob announced slot \(slot), for which Alice's device has no record")
            }
            states.append(records[index].state.rawValue)
        }
        let frameEnd = announcement.firstSlot + announcement.slotCount
        while index < records.count, records[index].slot < frameEnd { index += 1 }
        recordsStart = index
        return states
    }

    private func openBlock(_ start: BlockStart) throws {
        guard block == nil else { throw QKDError(.protocolFailure, "block \(start.blockID) opened while another is open") }
        let (key, counts) = buffer.close()
        guard key.count == start.siftedBits, counts.pulses == start.pulses else {
            throw QKDError(.protocolFailure, "block \(start.blockID): Bob counts \(start.siftedBits) bits over \(start.pulses) pulses, Alice \(key.count) over \(counts.pulses)")
        }
        if try extraction.isHopeless(counts: counts) != nil {
            channel.send(.abandonedBlock(blockID: start.blockID, aliceBits: key))
            return
        }
        let parameters = CascadeParameters(permutationSeed: start.blockID)
        block = (start.blockID, key, counts, try CascadeAlice(referenceKey: key, parameters: parameters))
    }

    private func verify(blockID: UInt64, hashKey: [UInt64], bobTag: [UInt64]) throws {
        guard let current = block, current.id == blockID else {
            throw QKDError(.protocolFailure, "verification tag for block \(blockID), which is not open")
        }
        block = nil
        let hash = try VerificationHash(evaluationPoints: hashKey)
        let matched = hash.tag(of: current.key) == bobTag
        channel.send(.verificationResult(blockID: blockID, matched: matched))
        guard matched else { return }
        let leakage = current.cascade.disclosedBits + hash.tagBitCount
        let bound = try extraction.bound(counts: current.counts, leakage: leakage)
        var order = PrivacyAmplificationOrder(blockID: blockID, outputLength: 0, seed: BitVector(count: 0), keyIDs: [])
        if bound.secretBits > 0 {
            order.outputLength = bound.secretBits
            order.seed = BitVector(randomCount: current.key.count + bound.secretBits - 1, using: &generator)
            order.keyIDs = KeyChunker.randomIdentifiers(count: extraction.chunker.keyCount(secretBitCount: bound.secretBits), using: &generator)
            if store == nil { store = try openStore() }
            _ = try extraction.extractAndStore(key: current.key, order: order, store: store!)
        }
        channel.send(.privacyAmplification(order))
    }
}
