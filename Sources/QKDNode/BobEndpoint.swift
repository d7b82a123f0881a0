import Distillation
import Foundation
import KeyManagement
import LinkProtocol
import Photonics
import QKDCore
import Security

/// Bob's node: it sees only his own detector clicks and the messages from Alice.
///
/// It turns each frame's clicks into results, announces them, closes a block when enough sifted
/// bits have accumulated, chooses each block's error correction (`ReconciliationSelector`) and
/// drives it (Cascade, or LDPC decoding against Alice's syndrome), sends the verification tag
/// (with a hash key drawn from his generator), and applies Alice's privacy-amplification order.
/// It keeps a `BlockReport` of every block.
///
/// A Cascade or LDPC message that is malformed, out of turn or inconsistent with its block (a
/// parity count other than asked) costs only its block: Bob discards the block (telling Alice
/// with `blockDiscarded`), reports the error to `onBlockError`, and carries on with the other
/// blocks; nothing of a discarded block is ever delivered. A message for a block that is not
/// open is reported and answered with `blockDiscarded`.
public final class BobEndpoint {
    private enum Reconciliation {
        case cascade(CascadeSession)
        case ldpc(LDPCBob)
    }

    /// Bob's Cascade for one block, boxed so that every step mutates it in place: a copy of a
    /// `CascadeBob` shares its pass states, and its next step would copy them all (at 10^5
    /// round trips per 8·10^5-bit block, minutes of copying).
    private final class CascadeSession {
        var bob: CascadeBob
        init(_ bob: CascadeBob) { self.bob = bob }
    }

    private struct OpenBlock {
        var start: BlockStart
        var noisyKey: BitVector
        var counts: ThreeStateCounts
        var reconciliation: Reconciliation
        var hashBits = 0

        var method: ReconciliationMethod {
            switch reconciliation {
            case .cascade: .cascade
            case .ldpc: .ldpc
            }
        }

        var disclosedBits: Int {
            switch reconciliation {
            case .cascade(let cascade): cascade.bob.disclosedBits
            case .ldpc(let ldpc): ldpc.disclosedBits
            }
        }

        var roundTrips: Int {
            switch reconciliation {
            case .cascade(let cascade): cascade.bob.roundTrips
            case .ldpc(let ldpc): ldpc.roundTrips
            }
        }

        /// Bob's key after error correction (his noisy key while LDPC has not met the syndrome).
        var correctedKey: BitVector {
            switch reconciliation {
            case .cascade(let cascade): cascade.bob.correctedKey
            case .ldpc(let ldpc): ldpc.correctedKey ?? noisyKey
            }
        }
    }

    private let configuration: NodeConfiguration
    private let channel: any MessageTransport
    private let extraction: KeyExtraction
    private let measurement: TimeBinMeasurement
    private let sink: BlockKeySink
    private let maximumBlocksInFlight: Int
    private let maximumZResultsPerAnnouncement: Int
    private let drawsMultiClickBitsFromSystem: Bool
    private var generator: SeededGenerator
    private var pending: [UInt64: (announcement: SiftingAnnouncement, results: [UInt8], zResults: Int)] = [:]
    /// Z results announced and not yet answered: at most the sifted bits they will add.
    private var pendingZResults = 0
    private var buffer = SiftedBlockBuffer()
    private var nextBlockID: UInt64
    /// The Z-basis QBER the last verified (or abandoned) block measured; nil until one has.
    ///
    /// A block's reconciliation is fixed by the QBER estimate it opens with (LDPC's code rate,
    /// Cascade's first-pass block size), and a block's own public counts give only its X-basis
    /// error rate, several times the Z one on this link (9-10 % against about 2 % at 50 km): an
    /// LDPC block rated on it discloses f = 2.6-3 and gives no key. So Bob opens a session's
    /// blocks one at a time until one of them has measured the Z QBER, and only then fills the
    /// pipeline, each block taking the latest measurement, as continuously running systems rate
    /// each block on the blocks before it. Only a session's first block is rated on its X QBER
    /// (a high, so safe, estimate here: it costs key, not correctness). The alternative, a random
    /// sample of Z bits compared in public and dropped, would have to be large to help: pinning
    /// 2 % to the ±10 % that LDPC's rate adaptation absorbs takes e(1-e)/(0.002)² ≈ 4,900 bits,
    /// a quarter of a 20,000-bit block, in every block, whereas error correction measures every
    /// error of the previous block for free; waiting costs only one block's reconciliation time
    /// of pipelining per session.
    private var previousQBER: Double?
    private var blocks: [UInt64: OpenBlock] = [:]
    private var abandonedBlocks: [UInt64: (start: BlockStart, counts: ThreeStateCounts, key: BitVector, bound: SecretKeyBound)] = [:]
    /// Reports of the finished blocks, in order (since the last `takeReports()`).
    public private(set) var reports: [BlockReport] = []
    /// The link alarm, which must start equal to Alice's (nil: none): the frames it pauses are
    /// withheld from every block.
    public var linkAlarm: LinkAlarm?
    /// Receives the public counts of every sifted frame, in order, with the alarm's verdict
    /// (for Bob's controllers).
    public var onSiftedFrame: ((ThreeStateCounts, LinkAlarm.Verdict) -> Void)?
    /// Whether another block may open while `blocksInFlight` are open (a node reserves
    /// authentication key for each block); by default always.
    public var admitsBlock: (_ blocksInFlight: Int) -> Bool = { _ in true }
    /// Chooses each block's error correction; starts from the configuration's setting with
    /// round trips free (a node on an authenticated link sets their cost).
    public var selector: ReconciliationSelector
    /// Receives every error that cost only one block (the block is already discarded).
    public var onBlockError: ((QKDError) -> Void)?

    /// Creates Bob's endpoint; `sink` receives the keys of every block with key. Up to
    /// `maximumBlocksInFlight` blocks are distilled at once (pipelining over a slow channel; one at
    /// a time until a block has measured the Z-basis QBER), numbered from `firstBlockID`, and
    /// `authenticationReserveBits` of each block's secret key go to the authentication pool. Each sifting announcement carries at most
    /// `maximumZResultsPerAnnouncement` Z results (an upper bound on the sifted bits it adds), so a
    /// block, made of whole announcements, ends within that many bits of the block size (nil:
    /// one announcement per device frame). The value of a multi-click pulse (a Z one becomes a key bit)
    /// comes from the seeded generator, for reproducible runs, or with
    /// `drawsMultiClickBitsFromSystem` from the system's cryptographic generator.
    public init(configuration: NodeConfiguration, channel: any MessageTransport, seed: UInt64, sink: BlockKeySink,
                maximumBlocksInFlight: Int = 1, firstBlockID: UInt64 = 0, authenticationReserveBits: Int = 0,
                maximumZResultsPerAnnouncement: Int? = nil, drawsMultiClickBitsFromSystem: Bool = false) throws {
        self.configuration = configuration
        self.channel = channel
        self.extraction = try KeyExtraction(configuration: configuration, authenticationReserveBits: authenticationReserveBits)
        self.measurement = TimeBinMeasurement(
            tagger: configuration.link.tagger, timeBinSeparation: configuration.link.encoder.timeBinSeparation)
        self.sink = sink
        self.maximumBlocksInFlight = max(1, maximumBlocksInFlight)
        self.maximumZResultsPerAnnouncement = max(1, maximumZResultsPerAnnouncement ?? .max)
        self.nextBlockID = firstBlockID
        self.drawsMultiClickBitsFromSystem = drawsMultiClickBitsFromSystem
        self.generator = SeededGenerator(seed: seed, stream: "bob-node")
        self.selector = ReconciliationSelector(setting: configuration.postProcessing.reconciliation, roundTripCostBits: 0)
    }

    /// Creates Bob's endpoint storing keys in the store that `openStore` opens at the first key.
    public convenience init(configuration: NodeConfiguration, channel: any MessageTransport, seed: UInt64,
                            openStore: @escaping () throws -> KeyStore) throws {
        try self.init(configuration: configuration, channel: channel, seed: seed, sink: DemoKeySink(openStore: openStore))
    }

    /// Whether every announced frame has its reply and no block is open.
    public var isSettled: Bool { pending.isEmpty && blocks.isEmpty && abandonedBlocks.isEmpty }

    private var blocksInFlight: Int { blocks.count + abandonedBlocks.count }

    private var blockSize: Int { configuration.postProcessing.blockSize }

    /// Whether Bob should take another device frame now: the sifted bits he holds and the most
    /// his unanswered announcements can add do not yet fill every block he may still open and
    /// the one after (so he reads ahead just enough to keep the pipeline full, whatever the
    /// channel's delay).
    public var wantsFrames: Bool {
        let openable = blocksInFlight < maximumBlocksInFlight && admitsBlock(blocksInFlight) ? maximumBlocksInFlight - blocksInFlight : 0
        return buffer.siftedBits + pendingZResults < blockSize * (openable + 1)
    }

    /// Whether a full block waits that `admitsBlock` refuses although no block is in flight, so
    /// nothing will let it open.
    public var isBlockRefusedWithNothingInFlight: Bool {
        blocksInFlight == 0 && buffer.siftedBits >= blockSize && !admitsBlock(0)
    }

    /// Measures one frame of clicks (in slot order) and announces the results to Alice.
    public func ingest(firstSlot: UInt64, slotCount: UInt64, detections: [BobDetection]) throws {
        var slots = [UInt64](), results = [UInt8]()
        var start = 0
        while start < detections.count {
            var end = start + 1
            while end < detections.count, detections[end].slot == detections[start].slot { end += 1 }
            let result = drawsMultiClickBitsFromSystem
                ? measurement.measure(detections[start..<end]) { Bool.random() }
                : measurement.measure(detections[start..<end], using: &generator)
            if let result {
                slots.append(detections[start].slot)
                results.append(UInt8(LinkOutcome(result).rawValue))
            }
            start = end
        }
        var chunkStart = 0, chunkFirstSlot = firstSlot, zResults = 0
        for index in results.indices where results[index] <= 1 {
            if zResults == maximumZResultsPerAnnouncement {
                try announce(slots: slots[chunkStart..<index], results: results[chunkStart..<index], zResults: zResults,
                             from: chunkFirstSlot, to: slots[index])
                chunkStart = index
                chunkFirstSlot = slots[index]
                zResults = 0
            }
            zResults += 1
        }
        try announce(slots: slots[chunkStart...], results: results[chunkStart...], zResults: zResults,
                     from: chunkFirstSlot, to: firstSlot + slotCount)
    }

    private func announce(slots: ArraySlice<UInt64>, results: ArraySlice<UInt8>, zResults: Int, from firstSlot: UInt64, to endSlot: UInt64) throws {
        let announcement = try ThreeStateSifting.announcement(
            firstSlot: firstSlot, slotCount: endSlot - firstSlot, slots: Array(slots), results: Array(results))
        pending[firstSlot] = (announcement, Array(results), zResults)
        pendingZResults += zResults
        channel.send(.siftingAnnouncement(announcement))
    }

    /// Closes the block in progress, if it holds any sifted bit (at the end of a run).
    public func finish() throws {
        if buffer.siftedBits > 0, blocksInFlight == 0, admitsBlock(0) { try openBlock() }
    }

    /// Handles one message from Alice, sending whatever the protocol requires in reply.
    public func handle(_ message: LinkMessage) throws {
        switch message {
        case .siftingReply(let reply):
            guard let frame = pending.removeValue(forKey: reply.firstSlot) else {
                throw QKDError(.protocolFailure, "sifting reply for frame \(reply.firstSlot), which Bob did not announce")
            }
            pendingZResults -= frame.zResults
            let outcome = try ThreeStateSifting.bobOutcome(announcement: frame.announcement, reply: reply, bobResults: frame.results)
            let verdict = linkAlarm?.judge(outcome.counts) ?? LinkAlarm.Verdict(paused: false, fault: nil)
            if !verdict.paused { buffer.append(outcome) }
            onSiftedFrame?(outcome.counts, verdict)
            try openBlockIfReady()
        case .cascade(let blockID, let cascadeMessage):
            try continueCascade(blockID: blockID, cascadeMessage)
        case .ldpc(let blockID, let ldpcMessage):
            try continueLDPC(blockID: blockID, ldpcMessage)
        case .blockDiscarded(let blockID, let reason):
            try discardBlock(blockID, because: QKDError(.protocolFailure, "Alice discarded block \(blockID): \(reason)"), tellingPeer: false)
        case .verificationResult(let blockID, let matched):
            guard let current = blocks[blockID] else {
                throw QKDError(.protocolFailure, "verification result for block \(blockID), which is not open")
            }
            if !matched {
                blocks[blockID] = nil
                let bound = try extraction.bound(counts: current.counts, leakage: current.disclosedBits + current.hashBits)
                try record(current, verified: false, bound: bound, chunks: nil)
                try openBlockIfReady()
            }
        case .privacyAmplification(let order):
            try amplify(order)
        case .abandonedBlock(let blockID, let aliceBits):
            try abandon(blockID: blockID, aliceBits: aliceBits)
        default:
            throw QKDError(.protocolFailure, "Bob received a message only Bob sends")
        }
    }

    /// Returns the reports of the blocks finished since the last call and forgets them (a long
    /// run keeps constant memory this way).
    public func takeReports() -> [BlockReport] {
        defer { reports.removeAll() }
        return reports
    }

    private func openBlockIfReady() throws {
        while buffer.siftedBits >= blockSize, blocksInFlight < maximumBlocksInFlight, admitsBlock(blocksInFlight),
              previousQBER != nil || blocksInFlight == 0 {
            try openBlock()
        }
    }

    /// Opens a block of the fewest leading sifted outcomes that reach the block size, as Alice
    /// will too (the frames the link alarm paused were never added).
    private func openBlock() throws {
        let (key, counts) = buffer.close(reaching: blockSize)
        let estimate = min(0.25, max(0.005, previousQBER ?? counts.qberX))
        let method = selector.method(estimatedQBER: estimate, blockSize: key.count, measuredByPreviousBlock: previousQBER != nil)
        let start = BlockStart(blockID: nextBlockID, siftedBits: key.count, pulses: counts.pulses, estimatedQBER: estimate,
                               method: ReconciliationSelector.wireMethod(method))
        nextBlockID += 1
        channel.send(.blockStart(start))
        if let hopeless = try extraction.isHopeless(counts: counts) {
            abandonedBlocks[start.blockID] = (start, counts, key, hopeless)
            return
        }
        switch method {
        case .cascade:
            var cascade = try CascadeBob(noisyKey: key, estimatedQBER: estimate, parameters: selector.cascadeParameters(estimatedQBER: estimate, blockSize: key.count))
            let first = try cascade.start()
            blocks[start.blockID] = OpenBlock(start: start, noisyKey: key, counts: counts, reconciliation: .cascade(CascadeSession(cascade)))
            channel.send(.cascade(blockID: start.blockID, first))
        case .ldpc:
            let adaptation = ReconciliationSelector.ldpcAdaptation
            let ldpc = LDPCBob(
                key: key, maximumIterations: adaptation.maximumIterations, blindRoundIterations: adaptation.blindRoundIterations,
                stallIterations: adaptation.stallIterations)
            blocks[start.blockID] = OpenBlock(start: start, noisyKey: key, counts: counts, reconciliation: .ldpc(ldpc))
        }
    }

    /// Continues Cascade with Alice's parities; an error costs only the block.
    private func continueCascade(blockID: UInt64, _ message: CascadeMessage) throws {
        guard var current = blocks[blockID], case .cascade(let cascade) = current.reconciliation else {
            return try refuseMessage(forBlock: blockID, method: "Cascade")
        }
        let next: CascadeMessage?
        do {
            next = try cascade.bob.receive(message)
        } catch let error as QKDError {
            return try discardBlock(blockID, because: QKDError(error.code, "block \(blockID): \(error.message)"), tellingPeer: true)
        }
        if let next {
            channel.send(.cascade(blockID: blockID, next))
            return
        }
        try sendVerificationTag(for: &current)
    }

    /// Decodes against Alice's syndrome or revealed values and answers; an error costs only the block.
    private func continueLDPC(blockID: UInt64, _ message: LDPCMessage) throws {
        guard var current = blocks[blockID], case .ldpc(var ldpc) = current.reconciliation else {
            return try refuseMessage(forBlock: blockID, method: "LDPC")
        }
        let reply: LDPCMessage
        do {
            reply = try ldpc.receive(message)
        } catch let error as QKDError {
            return try discardBlock(blockID, because: QKDError(error.code, "block \(blockID): \(error.message)"), tellingPeer: true)
        }
        current.reconciliation = .ldpc(ldpc)
        channel.send(.ldpc(blockID: blockID, reply))
        switch reply {
        case .accepted:
            try sendVerificationTag(for: &current)
        case .failed:
            blocks[blockID] = nil
            let bound = try extraction.bound(counts: current.counts, leakage: current.disclosedBits)
            try record(current, verified: false, bound: bound, chunks: nil,
                       discardReason: "LDPC decoding failed with the whole reveal budget spent")
            try openBlockIfReady()
        default:
            blocks[blockID] = current
        }
    }

    private func sendVerificationTag(for current: inout OpenBlock) throws {
        let hash = try VerificationHash(using: &generator)
        current.hashBits = hash.tagBitCount
        blocks[current.start.blockID] = current
        channel.send(.verificationTag(blockID: current.start.blockID, hashKey: hash.evaluationPoints, tag: hash.tag(of: current.correctedKey)))
    }

    /// Refuses a `method` message for a block that is not open with that method: a block open with
    /// the other method is discarded on both sides (the two nodes disagree about it); otherwise
    /// the error is reported and Alice told with `blockDiscarded`, so that she drops the block if
    /// she holds it.
    private func refuseMessage(forBlock blockID: UInt64, method: String) throws {
        let error = QKDError(.protocolFailure, "\(method) message for block \(blockID), which is not open with \(method)")
        guard blocks[blockID] == nil else { return try discardBlock(blockID, because: error, tellingPeer: true) }
        onBlockError?(QKDError(error.code, error.message + ": ignored"))
        channel.send(.blockDiscarded(blockID: blockID, reason: error.message))
    }

    /// Discards open block `blockID` after an error that concerns only it (telling Alice unless
    /// she discarded it first), records it and reports the error to `onBlockError`; a block that
    /// is not open is only reported.
    public func discardBlock(_ blockID: UInt64, because error: QKDError, tellingPeer: Bool) throws {
        onBlockError?(error)
        guard let current = blocks.removeValue(forKey: blockID) else { return }
        if tellingPeer { channel.send(.blockDiscarded(blockID: blockID, reason: error.message)) }
        let bound = try extraction.bound(counts: current.counts, leakage: current.disclosedBits + current.hashBits)
        try record(current, verified: false, bound: bound, chunks: nil, discardReason: error.message)
        try openBlockIfReady()
    }

    private func amplify(_ order: PrivacyAmplificationOrder) throws {
        guard let current = blocks.removeValue(forKey: order.blockID) else {
            throw QKDError(.protocolFailure, "privacy amplification for block \(order.blockID), which is not open")
        }
        let bound = try extraction.bound(counts: current.counts, leakage: current.disclosedBits + current.hashBits)
        guard bound.secretBits == order.outputLength else {
            throw QKDError(.protocolFailure, "block \(order.blockID): Alice orders \(order.outputLength) secret bits, Bob's analysis allows \(bound.secretBits)")
        }
        var chunks: KeyChunks? = nil
        if order.outputLength > 0 {
            chunks = try extraction.extractAndStore(key: current.correctedKey, order: order, sink: sink)
            channel.send(.blockCommitted(blockID: order.blockID))
        }
        try record(current, verified: true, bound: bound, chunks: chunks)
        try openBlockIfReady()
    }

    private func abandon(blockID: UInt64, aliceBits: BitVector) throws {
        guard let abandoned = abandonedBlocks.removeValue(forKey: blockID), aliceBits.count == abandoned.key.count else {
            throw QKDError(.protocolFailure, "abandoned-block bits for block \(blockID) do not match Bob's block")
        }
        let errors = aliceBits.hammingDistance(to: abandoned.key)
        previousQBER = Double(errors) / Double(max(1, aliceBits.count))
        reports.append(BlockReport(
            blockID: blockID, pulses: abandoned.counts.pulses,
            counts: try abandoned.counts.withZResults(alice: aliceBits, bob: abandoned.key), siftedBits: abandoned.key.count,
            correctedErrors: errors, disclosedBits: 0, roundTrips: 0, verificationBits: 0, verified: false,
            bound: abandoned.bound, secretBits: 0, keysStored: 0, leftoverBits: 0))
        try openBlockIfReady()
    }

    private func record(_ current: OpenBlock, verified: Bool, bound: SecretKeyBound, chunks: KeyChunks?, discardReason: String? = nil) throws {
        let errors = current.noisyKey.hammingDistance(to: current.correctedKey)
        let counts = verified ? try current.counts.withZResults(alice: current.correctedKey, bob: current.noisyKey) : current.counts
        let report = BlockReport(
            blockID: current.start.blockID, pulses: current.counts.pulses, counts: counts,
            siftedBits: current.noisyKey.count, correctedErrors: errors, disclosedBits: current.disclosedBits,
            roundTrips: current.roundTrips, verificationBits: current.hashBits, verified: verified, bound: bound,
            secretBits: verified ? bound.secretBits : 0, keysStored: chunks?.keys.count ?? 0,
            leftoverBits: chunks?.leftoverBitCount ?? 0, method: current.method, discardReason: discardReason)
        if verified { previousQBER = report.qberZ }
        reports.append(report)
    }
}
