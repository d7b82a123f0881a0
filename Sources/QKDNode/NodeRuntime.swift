import Foundation
import KeyManagement
import LinkProtocol
import NIOCore
import NIOPosix
import QKDCore

/// A long-running node: it reads its quantum device, runs the classical protocol with its peer
/// over an authenticated TCP connection (SwiftNIO), distils blocks (several in flight), and
/// commits keys to its SQLite key store with the two-phase scheme of `TwoPhaseKeySink`.
///
/// Everything protocol-related runs on one thread, fed by `NodeEventQueue`. A frame that fails
/// authentication or breaks the protocol ends the session: its blocks in flight are discarded,
/// the nodes reconnect, reconcile pending blocks at the handshake and carry on.
public final class NodeRuntime: @unchecked Sendable {
    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Blocks whose keys this node committed.
        public var blocksCommitted: Int
        /// Keys in the store at the end.
        public var keysInStore: Int
        /// Sessions that ended in an error and were restarted.
        public var sessionsRestarted: Int
        /// Bob: the report of every block he finished, over all sessions, in order.
        public var blockReports: [BlockReport]
    }

    private static let maximumConsecutiveFailures = 5
    /// Events handled at most before the messages they produced are sent.
    private static let maximumEventsPerFlush = 64
    /// Sifting announcements per block: a block ends within 1/64 of its size.
    private static let announcementsPerBlock = 64
    /// Bob's first guess of the pads he sends per block, before any block has been measured.
    private static let initialSendPadsPerBlock = 64.0

    private let settings: NodeSettings
    private let device: QuantumDevice
    private let log: (String) -> Void
    private let events = NodeEventQueue()
    /// Frames the device thread may read ahead (created at 0 and signalled up, because
    /// libdispatch traps when a semaphore is released below its initial value).
    private let deviceCredits = DispatchSemaphore(value: 0)
    /// Frames read ahead of the endpoint: enough to hide the device's latency, few enough that a
    /// crash or a broken session throws away little link time.
    private static let deviceReadAhead = 4
    /// When the current session last heard from the peer (or started).
    private var lastPeerActivity = Date()
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let store: SQLiteKeyStore
    private let bootstrap: [UInt8]
    private let metrics: NodeMetrics
    private var pendingFrames: [DeviceFrame] = []
    private var nextDeviceSlot: UInt64 = 0
    private var deviceEnded = false
    private var connectionCount = 0
    private var channel: (any Channel)?
    private var listener: (any Channel)?
    private var session: NodeSession?
    private var consecutiveFailures = 0
    private var blocksCommitted = 0
    private var sessionsRestarted = 0
    private var reportedBlocks = 0
    private var blockReports: [BlockReport] = []
    /// Pads Bob sends per committed block (moving average over sessions): each block opens only
    /// if this many per block in flight remain in his pool.
    private var sendPadsPerBlock = initialSendPadsPerBlock
    /// Why Bob stopped distilling before the device ended, if he did.
    private var authenticationShortfall: String?

    /// Opens the store and the bootstrap key; throws a one-line error if either is unusable.
    public init(settings: NodeSettings, device: QuantumDevice, log: @escaping (String) -> Void) throws {
        guard let bootstrapData = FileManager.default.contents(atPath: settings.bootstrapKeyPath) else {
            throw QKDError(.notFound, "missing bootstrap key file \(settings.bootstrapKeyPath)")
        }
        _ = try AuthenticationKeyPool(bootstrap: [UInt8](bootstrapData))
        self.settings = settings
        self.device = device
        self.log = log
        store = try SQLiteKeyStore(path: settings.storePath)
        let installed = try store.installBootstrap([UInt8](bootstrapData))
        guard installed == [UInt8](bootstrapData) else {
            throw QKDError(.invalidParameter, "bootstrap key file \(settings.bootstrapKeyPath) differs from the one key store \(settings.storePath) was started with")
        }
        bootstrap = installed
        metrics = NodeMetrics(role: settings.role == .aliceToBob ? "alice" : "bob")
    }

    /// Asks the runtime to stop after the event it is handling (from a signal handler).
    public func requestShutdown(reason: String) { events.post(.shutdown(reason)) }

    /// Alice: starts listening and returns the bound port (call before `run`).
    public func listen() throws -> Int {
        let (host, port) = try TCPSocket.address(settings.peerAddress)
        let events = self.events
        let counter = ConnectionCounter()
        do {
            listener = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    let id = counter.next()
                    return channel.eventLoop.makeCompletedFuture { try Self.installHandlers(on: channel, id: id, events: events) }
                }
                .bind(host: host, port: Int(port)).wait()
        } catch {
            throw QKDError(.invalidParameter, "cannot listen on \(settings.peerAddress) (\(error))")
        }
        return listener?.localAddress?.port ?? Int(port)
    }

    private static func installHandlers(on channel: any Channel, id: Int, events: NodeEventQueue) throws {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(FrameForwardingHandler(
            onActive: { events.post(.peerConnected(id, $0)) },
            onFrame: { events.post(.peerFrame(id, $0)) },
            onClose: { error in events.post(.peerClosed(id, error.map { "\($0)" })) }))
    }

    /// Runs until the device stream has ended and both nodes have settled every block, or until
    /// a shutdown request; throws a one-line error on a fatal problem.
    public func run() throws -> Outcome {
        defer { shutdownNetwork() }
        startDeviceThread()
        if settings.role == .bobToAlice { try connectToAlice() }
        runLoop: while true {
            // Every event already waiting is handled before the one flush, so the replies to
            // several frames (and to several blocks in flight) share one authenticated frame and
            // one pad instead of one each.
            var next: NodeEvent? = events.next(timeout: 1)
            if next == nil { try endSessionIfPeerSilent() }
            var handled = 0
            while let event = next {
                do {
                    if try handle(event) { break runLoop }
                } catch let error as SessionFailure {
                    try endSession(because: error.error.message)
                }
                handled += 1
                next = handled < Self.maximumEventsPerFlush ? events.nextIfReady() : nil
            }
            try flush()
            if try finishedAfterFlush() { break }
        }
        if let authenticationShortfall { throw QKDError(.unavailable, authenticationShortfall) }
        return Outcome(blocksCommitted: blocksCommitted, keysInStore: try store.count(), sessionsRestarted: sessionsRestarted,
                       blockReports: blockReports)
    }

    /// An error that ends the session but not the node.
    private struct SessionFailure: Error { let error: QKDError }

    // MARK: - Events

    /// Handles one event; returns true when the node should stop.
    private func handle(_ event: NodeEvent) throws -> Bool {
        switch event {
        case .deviceFrame(let frame):
            nextDeviceSlot = frame.endSlot
            pendingFrames.append(frame)
            try recoverable {
                try advanceHandshake()
                try feedFrames()
            }
        case .deviceEnded:
            deviceEnded = true
            try recoverable { try advanceHandshake() }
        case .deviceFailed(let message):
            throw QKDError(.malformedInput, message)
        case .peerConnected(let id, let newChannel):
            if let old = channel { old.close(promise: nil) }
            channel = newChannel
            try startSession(connectionID: id)
        case .peerFrame(let id, let bytes):
            guard let current = session, current.connectionID == id else { return false }
            lastPeerActivity = Date()
            try recoverable { try receive(bytes, in: current) }
        case .peerClosed(let id, let reason):
            guard let current = session, current.connectionID == id else { return false }
            if current.sentEnd && current.peerEnded { return true }
            try endSession(because: "connection to the peer closed\(reason.map { " (\($0))" } ?? "")")
        case .reconnect:
            if session == nil { try connectToAlice() }
        case .shutdown(let reason):
            let inFlight = session?.isSettled == false ? "; blocks in flight discarded (settled at the next handshake)" : ""
            log("\(roleName): \(reason): shutting down\(inFlight)")
            return true
        }
        return false
    }

    /// Ends the session if blocks are in flight and the peer has said nothing for
    /// `settings.peerSilenceLimit` seconds.
    private func endSessionIfPeerSilent() throws {
        guard let current = session, current.isEstablished, !current.isSettled,
              Date().timeIntervalSince(lastPeerActivity) > settings.peerSilenceLimit else { return }
        try endSession(because: "no frame from the peer for \(String(format: "%g", settings.peerSilenceLimit)) s with blocks in flight (a lost frame?)")
    }

    private func recoverable(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as QKDError where error.code == .protocolFailure || error.code == .malformedInput {
            throw SessionFailure(error: error)
        }
    }

    private var roleName: String { settings.role == .aliceToBob ? "alice" : "bob" }

    // MARK: - Device

    private func startDeviceThread() {
        let device = self.device, events = self.events, credits = deviceCredits
        for _ in 0..<Self.deviceReadAhead { credits.signal() }
        let thread = Thread {
            do {
                while true {
                    credits.wait()
                    guard let frame = try device.nextFrame() else { break }
                    events.post(.deviceFrame(frame))
                }
                events.post(.deviceEnded)
            } catch let error as QKDError {
                events.post(.deviceFailed(error.message))
            } catch {
                events.post(.deviceFailed("device failed (\(error))"))
            }
        }
        thread.start()
    }

    /// Hands waiting device frames to the endpoint: Bob's as the pipeline allows, Alice's as
    /// Bob's announcements need them. Frames not yet needed wait, and once the device has read
    /// its credit ahead it waits too (the emulated link pauses, as it does while a node is away),
    /// so after a broken session both nodes resume close to where distillation stopped.
    private func feedFrames() throws {
        guard let current = session, current.isEstablished else { return }
        while true {
            try drainAliceInbox()
            while let frame = pendingFrames.first, frame.firstSlot < current.startSlot { consumeFrame() }
            guard let frame = pendingFrames.first else { return }
            if let alice = current.alice {
                guard current.aliceAwaitsFrame else { return }
                alice.ingest(frame.aliceRecords)
                current.aliceIngestedEnd = frame.endSlot
            } else if let bob = current.bob {
                guard bob.wantsFrames else { return }
                try bob.ingest(firstSlot: frame.firstSlot, slotCount: frame.slotCount, detections: frame.bobDetections)
            }
            consumeFrame()
        }
    }

    private func consumeFrame() {
        pendingFrames.removeFirst()
        deviceCredits.signal()
    }

    private var firstAvailableSlot: UInt64 { pendingFrames.first?.firstSlot ?? nextDeviceSlot }

    // MARK: - Sessions

    private func connectToAlice() throws {
        let (host, port) = try TCPSocket.address(settings.peerAddress)
        let deadline = ContinuousClock.now + .milliseconds(Int(settings.patience * 1000))
        let events = self.events
        connectionCount += 1
        let id = connectionCount
        while true {
            do {
                _ = try ClientBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try Self.installHandlers(on: channel, id: id, events: events) }
                    }
                    .connect(host: host, port: Int(port)).wait()
                return
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw QKDError(.notFound, "cannot reach peer Alice at \(settings.peerAddress) (\(error))")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    private func startSession(connectionID: Int) throws {
        lastPeerActivity = Date()
        let pool = try AuthenticationKeyPool(bootstrap: bootstrap)
        for segment in try store.authenticationSegments().dropFirst() { pool.append(segment: segment.material) }
        let secure = SecureSession(
            sendDirection: settings.role, pool: pool,
            firstSendCounter: try store.authenticationCounter("send"),
            minimumPeerCounter: try store.authenticationCounter("receive"),
            ownSegments: pool.segmentCount,
            persistSendReservation: { [store] in try store.setAuthenticationCounter("send", to: $0) })
        session = NodeSession(connectionID: connectionID, secure: secure, pool: pool)
        try advanceHandshake()
    }

    /// Sends this node's hello once the device has delivered a frame (so the first slot the hello
    /// announces is one the node holds): Alice at once, Bob in answer to Alice's. With both
    /// hellos in, checks that the nodes agree, reconciles pending blocks and starts distilling.
    private func advanceHandshake() throws {
        guard let current = session, !current.isEstablished, !pendingFrames.isEmpty || deviceEnded else { return }
        let isAlice = settings.role == .aliceToBob
        if current.ownHello == nil, isAlice || current.peerHello != nil {
            var hello = SessionHello(
                configurationName: settings.configuration.name, parameterDigest: settings.parameterDigest,
                nonce: UInt64.random(in: .min ... .max), firstAvailableSlot: firstAvailableSlot,
                nextBlockID: try store.nextUnusedBlockID(), committedBlocks: [])
            if !isAlice {
                let segments = try store.authenticationSegments()
                hello.committedBlocks = segments.dropFirst(current.secure.lastDeclaredPeerSegments).compactMap(\.blockID)
            }
            try write(try current.secure.seal(.hello, payload: hello.encoded))
            current.ownHello = hello
            if isAlice { current.lastFlush = .now }
        }
        guard let own = current.ownHello, let peer = current.peerHello else { return }
        try own.checkAgreement(with: peer)
        if isAlice {
            let committed = try store.commitPending(peer.committedBlocks, discardingOthers: true)
            if !committed.isEmpty { log("alice: reconciled with Bob: committed pending blocks \(peer.committedBlocks), discarded the others") }
        }
        establish(current, own: own, peer: peer)
        try feedFrames()
    }

    private func receive(_ frame: [UInt8], in current: NodeSession) throws {
        if let sent = current.lastFlush {
            let elapsed = (ContinuousClock.now - sent).components
            metrics.peerRoundTrip.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
            current.lastFlush = nil
        }
        guard current.peerHello != nil else { return try receiveHello(frame, in: current) }
        let (kind, payload) = try current.secure.open(frame)
        switch kind {
        case .hello:
            throw QKDError(.protocolFailure, "second hello within a session")
        case .end:
            current.peerEnded = true
        case .messages:
            let messages = try decodeMessages(payload, in: current)
            if current.alice != nil {
                current.aliceInbox += messages
                try feedFrames()
            } else if let bob = current.bob {
                for message in messages { try bob.handle(message) }
                try reportBobBlocks(bob, in: current)
                try feedFrames()
            }
        }
    }

    /// The messages of an authenticated payload. A message that does not decode ends the session,
    /// unless it concerns one block only (`LinkMessageCodec.blockScope(ofUndecodable:)`): then
    /// that block is discarded on both sides and the other messages are handled.
    private func decodeMessages(_ payload: [UInt8], in current: NodeSession) throws -> [LinkMessage] {
        let codec = LinkMessageCodec()
        var reader = ByteReader(payload)
        let count = try reader.readCount("coalesced messages", limit: reader.remaining / 8)
        var messages: [LinkMessage] = []
        for _ in 0..<count {
            let bytes = try reader.readBytes("message", limit: codec.limit)
            do {
                messages.append(try codec.decode(bytes))
            } catch let error as QKDError {
                guard let blockID = codec.blockScope(ofUndecodable: bytes) else { throw error }
                if let alice = current.alice {
                    alice.discardBlock(blockID, because: error, tellingPeer: true)
                } else if let bob = current.bob {
                    try bob.discardBlock(blockID, because: error, tellingPeer: true)
                }
            }
        }
        try reader.expectEnd("messages frame")
        return messages
    }

    private func receiveHello(_ frame: [UInt8], in current: NodeSession) throws {
        guard frame.count >= SecureSession.headerByteCount + SecureSession.tagByteCount else {
            throw QKDError(.malformedInput, "corrupt frame: \(frame.count) bytes, shorter than a header and tag")
        }
        let claimed = try SessionHello(decoding: Array(frame[SecureSession.headerByteCount..<frame.count - SecureSession.tagByteCount]))
        if settings.role == .aliceToBob {
            let pending = try store.pendingBlocks()
            for block in claimed.committedBlocks {
                guard let slice = pending[block] else {
                    throw QKDError(.protocolFailure, "Bob's hello lists block \(block), which Alice does not hold as pending")
                }
                current.pool.append(segment: slice)
            }
        }
        _ = try current.secure.open(frame)
        try store.setAuthenticationCounter("receive", to: current.secure.nextReceiveCounter ?? 0)
        current.peerHello = claimed
        try advanceHandshake()
    }

    private func establish(_ current: NodeSession, own: SessionHello, peer: SessionHello) {
        let isAlice = settings.role == .aliceToBob
        current.secure.bind(aliceNonce: isAlice ? own.nonce : peer.nonce, bobNonce: isAlice ? peer.nonce : own.nonce)
        current.startSlot = max(own.firstAvailableSlot, peer.firstAvailableSlot)
        let firstBlock = max(own.nextBlockID, peer.nextBlockID)
        let sink = TwoPhaseKeySink(role: settings.role, store: store, pool: current.pool) { [weak self] block, sliceBits in
            self?.committed(block: block, sliceBits: sliceBits)
        }
        let seed = UInt64.random(in: .min ... .max)
        do {
            if isAlice {
                let alice = try AliceEndpoint(configuration: settings.configuration, channel: current.transport, seed: seed, sink: sink,
                                              authenticationReserveBits: settings.authenticationReserveBits, drawsPuncturedBitsFromSystem: true)
                alice.onBlockError = { [log] error in log("alice: block discarded: \(error.message)") }
                current.alice = alice
            } else {
                let bob = try BobEndpoint(
                    configuration: settings.configuration, channel: current.transport, seed: seed, sink: sink,
                    maximumBlocksInFlight: settings.maximumBlocksInFlight, firstBlockID: firstBlock,
                    authenticationReserveBits: settings.authenticationReserveBits,
                    maximumZResultsPerAnnouncement: max(1, settings.configuration.postProcessing.blockSize / Self.announcementsPerBlock),
                    drawsMultiClickBitsFromSystem: true)
                bob.admitsBlock = { [unowned self, unowned current] inFlight in
                    current.secure.sendPadsHeld >= padsReserved(forBlocks: inFlight + 1)
                }
                bob.selector.roundTripCostBits = ReconciliationSelector.authenticatedRoundTripCostBits
                bob.onBlockError = { [log] error in log("bob: block discarded: \(error.message)") }
                current.bob = bob
            }
        } catch {
            preconditionFailure("the configuration was validated when loaded: \(error)")
        }
        current.bitsConsumedAtLastBlock = current.secure.padBitsConsumed
        current.sendCounterAtLastBlock = current.secure.nextSendCounter
        log("\(roleName): session established (start slot \(current.startSlot), first block \(firstBlock), authentication pool \(current.secure.sendPadsLeft * 64) bits for sending)")
    }

    /// Pads Bob keeps in his pool for `blocks` blocks in flight: the measured pads per block, so
    /// that a block he opens can normally finish before the pool runs dry (and if it does run
    /// dry, `SecureSession.seal` stops the node rather than reuse a pad).
    private func padsReserved(forBlocks blocks: Int) -> Int {
        Int((Double(blocks) * sendPadsPerBlock).rounded(.up))
    }

    private func drainAliceInbox() throws {
        guard let current = session, let alice = current.alice else { return }
        while let message = current.aliceInbox.first {
            if case .siftingAnnouncement(let announcement) = message,
               announcement.firstSlot + announcement.slotCount > current.aliceIngestedEnd { return }
            current.aliceInbox.removeFirst()
            try alice.handle(message)
        }
    }

    private func committed(block: UInt64, sliceBits: Int) {
        blocksCommitted += 1
        consecutiveFailures = 0
        guard let current = session else { return }
        let consumed = current.secure.padBitsConsumed - current.bitsConsumedAtLastBlock
        current.bitsConsumedAtLastBlock = current.secure.padBitsConsumed
        let padsSent = Double(current.secure.nextSendCounter - current.sendCounterAtLastBlock)
        current.sendCounterAtLastBlock = current.secure.nextSendCounter
        sendPadsPerBlock = 0.75 * sendPadsPerBlock + 0.25 * padsSent
        let poolBits = current.secure.sendPadsLeft * 64
        metrics.blocksDone.increment()
        metrics.authenticationPoolBits.record(poolBits)
        metrics.authenticationBitsConsumed.increment(by: consumed)
        log("\(roleName): block \(block) committed; authentication: \(consumed) bits consumed since the last block, \(sliceBits) bits refilled, \(poolBits) bits left for sending")
    }

    private func reportBobBlocks(_ bob: BobEndpoint, in current: NodeSession) throws {
        for report in bob.reports.dropFirst(reportedBlocks) {
            blockReports.append(report)
            metrics.secretBits.increment(by: report.secretBits)
            let method = report.method?.rawValue ?? "none"
            metrics.disclosedBits(method: method).increment(by: report.disclosedBits)
            if report.errorsAreKnown {
                metrics.qber.record(report.qberZ)
                if report.efficiency > 0 { metrics.efficiency(method: method).record(report.efficiency) }
            }
            let qber = report.errorsAreKnown ? String(format: "QBER Z %.2f %%", report.qberZ * 100) : "QBER Z unknown"
            let efficiency = report.errorsAreKnown ? String(format: "f = %.3f", report.efficiency) : "f unknown"
            log(String(format: "bob: block %llu: %d sifted bits, %@, %@ disclosed %d bits (%@) in %d round trips, %d secret bits, %d keys%@",
                       report.blockID, report.siftedBits, qber, method, report.disclosedBits, efficiency, report.roundTrips,
                       report.secretBits, report.keysStored, report.discardReason.map { "; discarded: \($0)" } ?? ""))
        }
        reportedBlocks = bob.reports.count
    }

    private func endSession(because reason: String) throws {
        guard session != nil else { return }
        session = nil
        channel?.close(promise: nil)
        channel = nil
        sessionsRestarted += 1
        consecutiveFailures += 1
        reportedBlocks = 0
        log("\(roleName): session ended: \(reason); blocks in flight discarded")
        guard consecutiveFailures <= Self.maximumConsecutiveFailures else {
            throw QKDError(.protocolFailure, "giving up after \(consecutiveFailures) failed sessions; last: \(reason)")
        }
        if settings.role == .bobToAlice {
            let events = self.events
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { events.post(.reconnect) }
        }
    }

    // MARK: - Sending and finishing

    private func flush() throws {
        guard let current = session, current.isEstablished else { return }
        let messages = current.transport.take()
        if !messages.isEmpty {
            try write(try current.secure.seal(.messages, payload: SecureSession.messagesPayload(messages, codec: LinkMessageCodec())))
            current.lastFlush = current.lastFlush ?? .now
        }
    }

    private func finishedAfterFlush() throws -> Bool {
        guard let current = session, current.isEstablished, !current.sentEnd else {
            return session.map { $0.sentEnd && $0.peerEnded } ?? false
        }
        if let bob = current.bob, deviceEnded, pendingFrames.isEmpty, current.isSettled {
            try bob.finish()
            if !bob.isSettled {
                try flush()
                return false
            }
        }
        if let bob = current.bob, current.isSettled, bob.isBlockRefusedWithNothingInFlight, authenticationShortfall == nil {
            authenticationShortfall = "authentication key pool too low for another block: \(current.secure.sendPadsHeld * 64) bits left for sending, a block needs about \(padsReserved(forBlocks: 1) * 64); stopped distilling rather than reuse key (a longer bootstrap key or a larger --reserve-bits helps)"
            log("bob: \(authenticationShortfall!)")
        }
        let bobDone = settings.role == .bobToAlice && current.isSettled
            && (deviceEnded && pendingFrames.isEmpty || authenticationShortfall != nil)
        let aliceDone = settings.role == .aliceToBob && current.peerEnded && current.isSettled
        guard bobDone || aliceDone else { return false }
        try write(try current.secure.seal(.end, payload: []))
        current.sentEnd = true
        return current.peerEnded
    }

    private func write(_ frame: [UInt8]) throws {
        guard let channel else { return }
        channel.writeAndFlush(LengthPrefixedFrameDecoder.framed(frame, allocator: channel.allocator), promise: nil)
    }

    private func shutdownNetwork() {
        device.stop()
        if let channel { try? channel.close().wait() }
        try? listener?.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Numbers accepted connections (NIO calls the initializer on its event loop).
private final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 1000

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
