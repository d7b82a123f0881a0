import Distillation
import Foundation
import KeyManagement
import LinkProtocol
import Photonics
import QKDCore
import Security

/// Alice's node: it sees only her own device's records and the messages from Bob.
///
/// It answers Bob's sifting announcements, accumulates sifted bits into blocks, reconciles each
/// with the method Bob's `BlockStart` names (answering Cascade's parity requests, or sending an
/// LDPC syndrome and revealing symbols when Bob asks), checks Bob's verification tag, and orders
/// privacy amplification with a Toeplitz seed and key IDs drawn from her generator (seeded here
/// for reproducible runs; a hardware node draws them from its entropy source), which also fills
/// LDPC's punctured symbols.
///
/// A Cascade or LDPC message that is malformed, out of turn or inconsistent with its block (a
/// different key length, a query outside the key) costs only its block: Alice discards the
/// block (telling Bob with `blockDiscarded`), reports the error to `onBlockError`, and carries
/// on with the other blocks. A message for a block that is not open is reported and answered
/// with `blockDiscarded`.
public final class AliceEndpoint {
    private enum Reconciliation {
        case cascade(CascadeSession)
        case ldpc(LDPCAlice)
    }

    /// Alice's Cascade for one block, boxed so that every answer mutates it in place: a copy
    /// left in `blocks` would make each answer copy her per-block tables (the ranked second
    /// pass's key and the first pass's splits, 100 kB each at 8·10^5 bits).
    private final class CascadeSession {
        var alice: CascadeAlice
        init(_ alice: CascadeAlice) { self.alice = alice }
    }

    private struct OpenBlock {
        var key: BitVector
        var counts: ThreeStateCounts
        var reconciliation: Reconciliation

        var disclosedBits: Int {
            switch reconciliation {
            case .cascade(let session): session.alice.disclosedBits
            case .ldpc(let ldpc): ldpc.disclosedBits
            }
        }
    }

    private let configuration: NodeConfiguration
    private let channel: any MessageTransport
    private let extraction: KeyExtraction
    private let sink: BlockKeySink
    private var generator: SeededGenerator
    private let drawsPuncturedBitsFromSystem: Bool
    private var records: [AliceRecord] = []
    private var recordsStart = 0
    private var siftedFrames: [ThreeStateSifting.Outcome] = []
    private var blocks: [UInt64: OpenBlock] = [:]
    /// The link alarm, which must start equal to Bob's (nil: none): the frames it pauses are
    /// withheld from every block.
    public var linkAlarm: LinkAlarm?
    /// Receives every error that cost only one block (the block is already discarded).
    public var onBlockError: ((QKDError) -> Void)?

    /// Creates Alice's endpoint; `sink` receives the keys of every block with key, and
    /// `authenticationReserveBits` of each block's secret key go to the authentication pool.
    /// LDPC's punctured symbols must be secret and uniform (the disclosed-bit count credits them):
    /// they come from the seeded generator, for reproducible runs, or with
    /// `drawsPuncturedBitsFromSystem` from the system's cryptographic generator.
    public init(configuration: NodeConfiguration, channel: any MessageTransport, seed: UInt64, sink: BlockKeySink,
                authenticationReserveBits: Int = 0, drawsPuncturedBitsFromSystem: Bool = false) throws {
        self.drawsPuncturedBitsFromSystem = drawsPuncturedBitsFromSystem
        self.configuration = configuration
        self.channel = channel
        self.extraction = try KeyExtraction(configuration: configuration, authenticationReserveBits: authenticationReserveBits)
        self.sink = sink
        self.generator = SeededGenerator(seed: seed, stream: "alice-node")
    }

    /// Creates Alice's endpoint storing keys in the store that `openStore` opens at the first key.
    public convenience init(configuration: NodeConfiguration, channel: any MessageTransport, seed: UInt64,
                            openStore: @escaping () throws -> KeyStore) throws {
        try self.init(configuration: configuration, channel: channel, seed: seed, sink: DemoKeySink(openStore: openStore))
    }

    /// Whether no block is open (every block Bob started is settled on Alice's side).
    public var isSettled: Bool { blocks.isEmpty }

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
            siftedFrames.append(try ThreeStateSifting.aliceOutcome(announcement: announcement, reply: reply, aliceStates: states))
            channel.send(.siftingReply(reply))
        case .blockStart(let start):
            try openBlock(start)
        case .cascade(let blockID, let cascadeMessage):
            continueCascade(blockID: blockID, cascadeMessage)
        case .ldpc(let blockID, let ldpcMessage):
            continueLDPC(blockID: blockID, ldpcMessage)
        case .blockDiscarded(let blockID, let reason):
            discardBlock(blockID, because: QKDError(.protocolFailure, "Bob discarded block \(blockID): \(reason)"), tellingPeer: false)
        case .verificationTag(let blockID, let hashKey, let tag):
            try verify(blockID: blockID, hashKey: hashKey, bobTag: tag)
        case .blockCommitted(let blockID):
            try sink.peerCommitted(blockID: blockID)
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
        guard blocks[start.blockID] == nil else { throw QKDError(.protocolFailure, "block \(start.blockID) opened twice") }
        var buffer = SiftedBlockBuffer()
        while buffer.counts.pulses < start.pulses, !siftedFrames.isEmpty {
            let frame = siftedFrames.removeFirst()
            if linkAlarm?.judge(frame.counts).paused == true { continue }
            buffer.append(frame)
        }
        let (key, counts) = buffer.close()
        guard key.count == start.siftedBits, counts.pulses == start.pulses else {
            throw QKDError(.protocolFailure, "block \(start.blockID): Bob counts \(start.siftedBits) bits over \(start.pulses) pulses, Alice \(key.count) over \(counts.pulses)")
        }
        if try extraction.isHopeless(counts: counts) != nil {
            channel.send(.abandonedBlock(blockID: start.blockID, aliceBits: key))
            return
        }
        do {
            switch start.method {
            case .cascade:
                let parameters = CascadeParameters.tuned(forQBER: start.estimatedQBER, blockSize: key.count)
                let cascade = try CascadeAlice(referenceKey: key, estimatedQBER: start.estimatedQBER, parameters: parameters)
                blocks[start.blockID] = OpenBlock(key: key, counts: counts, reconciliation: .cascade(CascadeSession(cascade)))
            case .ldpc:
                let ldpc: LDPCAlice
                let plan = try ReconciliationSelector.ldpcAdaptation.plan(blockSize: key.count, estimatedQBER: start.estimatedQBER)
                if drawsPuncturedBitsFromSystem {
                    var system = SystemRandomNumberGenerator()
                    ldpc = try LDPCAlice(key: key, plan: plan, randomness: &system)
                } else {
                    ldpc = try LDPCAlice(key: key, plan: plan, randomness: &generator)
                }
                blocks[start.blockID] = OpenBlock(key: key, counts: counts, reconciliation: .ldpc(ldpc))
                channel.send(.ldpc(blockID: start.blockID, ldpc.syndromeMessage))
            }
        } catch let error as QKDError {
            onBlockError?(QKDError(error.code, "block \(start.blockID): \(error.message)"))
            channel.send(.blockDiscarded(blockID: start.blockID, reason: error.message))
        }
    }

    /// Answers Bob's Cascade parity request; an error costs only the block.
    private func continueCascade(blockID: UInt64, _ message: CascadeMessage) {
        guard let current = blocks[blockID], case .cascade(let session) = current.reconciliation else {
            return refuseMessage(forBlock: blockID, method: "Cascade")
        }
        let response: CascadeMessage
        do {
            response = try session.alice.respond(to: message)
        } catch let error as QKDError {
            return discardBlock(blockID, because: QKDError(error.code, "block \(blockID): \(error.message)"), tellingPeer: true)
        } catch {
            preconditionFailure("CascadeAlice throws only QKDError: \(error)")
        }
        channel.send(.cascade(blockID: blockID, response))
    }

    /// Answers Bob's LDPC message; an error costs only the block.
    private func continueLDPC(blockID: UInt64, _ message: LDPCMessage) {
        guard var current = blocks[blockID], case .ldpc(var ldpc) = current.reconciliation else {
            return refuseMessage(forBlock: blockID, method: "LDPC")
        }
        let reply: LDPCMessage?
        do {
            reply = try ldpc.receive(message)
        } catch let error as QKDError {
            return discardBlock(blockID, because: QKDError(error.code, "block \(blockID): \(error.message)"), tellingPeer: true)
        } catch {
            preconditionFailure("LDPCAlice throws only QKDError: \(error)")
        }
        current.reconciliation = .ldpc(ldpc)
        blocks[blockID] = ldpc.status == .failed ? nil : current
        if let reply { channel.send(.ldpc(blockID: blockID, reply)) }
    }

    /// Refuses a `method` message for a block that is not open with that method: a block open with
    /// the other method is discarded on both sides (the two nodes disagree about it); otherwise
    /// the error is reported and Bob told with `blockDiscarded`, so that he drops the block if
    /// he holds it.
    private func refuseMessage(forBlock blockID: UInt64, method: String) {
        let error = QKDError(.protocolFailure, "\(method) message for block \(blockID), which is not open with \(method)")
        guard blocks[blockID] == nil else { return discardBlock(blockID, because: error, tellingPeer: true) }
        onBlockError?(QKDError(error.code, error.message + ": ignored"))
        channel.send(.blockDiscarded(blockID: blockID, reason: error.message))
    }

    /// Discards open block `blockID` after an error that concerns only it (telling Bob unless he
    /// discarded it first) and reports the error to `onBlockError`; a block that is not open is
    /// only reported.
    public func discardBlock(_ blockID: UInt64, because error: QKDError, tellingPeer: Bool) {
        onBlockError?(error)
        guard blocks.removeValue(forKey: blockID) != nil else { return }
        if tellingPeer { channel.send(.blockDiscarded(blockID: blockID, reason: error.message)) }
    }

    private func verify(blockID: UInt64, hashKey: [UInt64], bobTag: [UInt64]) throws {
        guard let current = blocks.removeValue(forKey: blockID) else {
            throw QKDError(.protocolFailure, "verification tag for block \(blockID), which is not open")
        }
        let hash = try VerificationHash(evaluationPoints: hashKey)
        let matched = hash.tag(of: current.key) == bobTag
        channel.send(.verificationResult(blockID: blockID, matched: matched))
        guard matched else { return }
        let leakage = current.disclosedBits + hash.tagBitCount
        let bound = try extraction.bound(counts: current.counts, leakage: leakage)
        var order = PrivacyAmplificationOrder(blockID: blockID, outputLength: 0, seed: BitVector(count: 0), keyIDs: [])
        if bound.secretBits > 0 {
            order.outputLength = bound.secretBits
            order.seed = BitVector(randomCount: current.key.count + bound.secretBits - 1, using: &generator)
            order.keyIDs = KeyChunker.randomIdentifiers(count: extraction.keyCount(secretBits: bound.secretBits), using: &generator)
            _ = try extraction.extractAndStore(key: current.key, order: order, sink: sink)
        }
        channel.send(.privacyAmplification(order))
    }
}
