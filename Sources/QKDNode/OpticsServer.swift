import Foundation
import Photonics
import QKDCore

/// `qkd optics`: the link emulator as its own process. It listens on two local sockets, one per
/// side, and sends Alice's records only to Alice and Bob's clicks only to Bob.
///
/// The stream is driven by demand: a node asks for each frame with one request byte (1). A frame
/// is emulated while both nodes are connected, when one of them has asked for it and neither
/// has more than `maximumQueuedFrames` emulated frames waiting for its request. So the emulation
/// keeps pace with the slower node (it never runs ahead by more than the queue and the node's
/// requests), pauses while a node is away (a link with a node down delivers no key), and a node
/// that crashes loses only the frames it had asked for; a restarted node gets frames at once,
/// even while its peer, having lost its session, asks for none. After the last frame each node receives an empty frame, which marks the end of
/// the run (a stream that simply stops means the optics process has gone); the process exits
/// once both have closed their connections. It can also record both streams to time-tag files.
public final class OpticsServer: @unchecked Sendable {
    /// One node's connection and how many frames it has asked for and been sent (the counts
    /// change only under the server's condition lock).
    private final class NodeConnection: @unchecked Sendable {
        let socket: TCPSocket
        var framesRequested = 0
        var framesSent = 0
        /// Encoded frames emulated and not yet asked for (the empty end-of-run marker last).
        var queue: [[UInt8]] = []

        init(socket: TCPSocket) { self.socket = socket }

        var wantsFrame: Bool { framesRequested > framesSent }
    }

    /// What the serving thread does next.
    private enum Step {
        case send(side: Int, connection: NodeConnection, frame: [UInt8])
        case emulate([NodeConnection])
        case finished
        case stopped
    }

    /// Frames emulated ahead of a node's requests at most.
    private static let maximumQueuedFrames = 8

    /// The request byte a node sends for each frame it wants.
    public static let frameRequest: UInt8 = 1

    private let configuration: NodeConfiguration
    private let seed: UInt64
    private let totalSlots: UInt64
    private let frameSlots: UInt64
    private let listeners: [TCPSocket]
    private let recordDirectory: String?
    private let condition = NSCondition()
    private var connections: [NodeConnection?] = [nil, nil]
    private var streamsEnded = false
    private var stopReason: String?

    /// Opens the two listening sockets (`HOST:PORT`, port 0 for an ephemeral one).
    public init(configuration: NodeConfiguration, seed: UInt64, durationSeconds: Double, frameSeconds: Double,
                aliceAddress: String, bobAddress: String, recordDirectory: String?) throws {
        guard durationSeconds > 0, frameSeconds > 0 else {
            throw QKDError(.invalidParameter, "duration and frame length must be positive")
        }
        self.configuration = configuration
        self.seed = seed
        let rate = configuration.link.source.repetitionRate
        totalSlots = UInt64((durationSeconds * rate).rounded())
        frameSlots = max(1, UInt64(frameSeconds * rate))
        listeners = [try TCPSocket.listen(on: aliceAddress), try TCPSocket.listen(on: bobAddress)]
        self.recordDirectory = recordDirectory
    }

    /// The ports Alice's and Bob's sockets listen on.
    public var ports: (alice: UInt16, bob: UInt16) { (listeners[0].localPort, listeners[1].localPort) }

    /// Stops the run (from a signal handler): `run` closes every connection and returns.
    public func stop(reason: String) {
        condition.lock()
        stopReason = stopReason ?? reason
        listeners.forEach { $0.close() }
        connections.forEach { $0?.socket.close() }
        condition.broadcast()
        condition.unlock()
    }

    /// Serves the whole run (or until `stop`), then ends both streams and waits for the nodes to
    /// close them; `log` receives one line per event. Returns the pulses emulated and the slots
    /// with at least one click at Bob.
    @discardableResult
    public func run(log: @escaping @Sendable (String) -> Void) throws -> (pulses: UInt64, detections: UInt64) {
        for side in 0..<2 {
            Thread.detachNewThread { [self] in acceptLoop(side: side, log: log) }
        }
        let recorders = try recordDirectory.map { folder in
            try ["alice", "bob"].map { name -> FileHandle in
                let path = (folder as NSString).appendingPathComponent("\(name).qkdtags")
                guard FileManager.default.createFile(atPath: path, contents: Data(RecordedTimeTagFile.magic)),
                      let handle = FileHandle(forWritingAtPath: path) else {
                    throw QKDError(.storage, "cannot write time-tag file \(path)")
                }
                handle.seekToEndOfFile()
                return handle
            }
        }
        defer { recorders?.forEach { $0.closeFile() } }
        var emulator = LinkEmulator(configuration: configuration.link, seed: seed)
        var detections: UInt64 = 0
        while true {
            switch nextStep(emulationEnded: emulator.slotsEmulated >= totalSlots, log: log) {
            case .send(let side, let connection, let frame):
                do {
                    try connection.socket.writeFrame(frame)
                    if frame.isEmpty { connection.socket.finishSending() }
                } catch {
                    drop(side: side, connection: connection, log: log)
                }
            case .emulate(let targets):
                let frame = emulator.emulate(slotCount: min(frameSlots, totalSlots - emulator.slotsEmulated))
                detections += InProcessLink.countDetectedSlots(frame.bob)
                let parts = [
                    DeviceFrame(firstSlot: frame.firstSlot, slotCount: frame.slotCount, aliceRecords: frame.alice).encoded,
                    DeviceFrame(firstSlot: frame.firstSlot, slotCount: frame.slotCount, bobDetections: frame.bob).encoded,
                ]
                for side in 0..<2 { recorders?[side].write(Data(Self.lengthPrefix(parts[side].count) + parts[side])) }
                condition.lock()
                for side in 0..<2 { targets[side].queue.append(parts[side]) }
                condition.unlock()
            case .finished:
                log("optics: \(totalSlots) pulses served, streams closed")
                return (totalSlots, detections)
            case .stopped:
                log("optics: \(stoppedBecause): stopping after \(emulator.slotsEmulated) of \(totalSlots) pulses")
                return (emulator.slotsEmulated, detections)
            }
        }
    }

    /// Waits for the next thing to do: a queued frame a node has asked for, a frame to emulate,
    /// or, once the emulation has ended and every node has read its end marker and closed its
    /// connection, the end.
    private func nextStep(emulationEnded: Bool, log: @Sendable (String) -> Void) -> Step {
        condition.lock()
        defer { condition.unlock() }
        if emulationEnded, !streamsEnded {
            streamsEnded = true
            connections.forEach { $0?.queue.append([]) }
            if connections.contains(where: { $0 != nil }) { log("optics: run complete; waiting for the nodes to read the end of their streams") }
        }
        while true {
            if stopReason != nil { return .stopped }
            for side in 0..<2 {
                if let connection = connections[side], connection.wantsFrame, !connection.queue.isEmpty {
                    connection.framesSent += 1
                    return .send(side: side, connection: connection, frame: connection.queue.removeFirst())
                }
            }
            if emulationEnded {
                if connections.allSatisfy({ $0 == nil }) {
                    listeners.forEach { $0.close() }
                    return .finished
                }
            } else if let alice = connections[0], let bob = connections[1], alice.wantsFrame || bob.wantsFrame,
                      alice.queue.count < Self.maximumQueuedFrames, bob.queue.count < Self.maximumQueuedFrames {
                return .emulate([alice, bob])
            }
            condition.wait()
        }
    }

    private var stoppedBecause: String {
        condition.lock()
        defer { condition.unlock() }
        return stopReason ?? "stopped"
    }

    private static func lengthPrefix(_ count: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: UInt32(count) >> (24 - 8 * UInt32($0))) }
    }

    private static func sideName(_ side: Int) -> String { side == 0 ? "Alice" : "Bob" }

    private func acceptLoop(side: Int, log: @escaping @Sendable (String) -> Void) {
        while let socket = try? listeners[side].accept() {
            let connection = NodeConnection(socket: socket)
            condition.lock()
            guard stopReason == nil else {
                condition.unlock()
                socket.close()
                return
            }
            connections[side]?.socket.close()
            connections[side] = connection
            if streamsEnded { connection.queue.append([]) }
            condition.broadcast()
            condition.unlock()
            log("optics: \(Self.sideName(side)) connected")
            Thread.detachNewThread { [self] in readRequests(side: side, connection: connection, log: log) }
        }
    }

    /// Counts the node's frame requests until it closes the connection.
    private func readRequests(side: Int, connection: NodeConnection, log: @escaping @Sendable (String) -> Void) {
        while let bytes = try? connection.socket.readAvailable(maximum: 256), !bytes.isEmpty {
            guard bytes.allSatisfy({ $0 == Self.frameRequest }) else {
                log("optics: \(Self.sideName(side)) sent something other than frame requests; closing its connection")
                break
            }
            condition.lock()
            connection.framesRequested += bytes.count
            condition.broadcast()
            condition.unlock()
        }
        drop(side: side, connection: connection, log: log)
    }

    private func drop(side: Int, connection: NodeConnection, log: @Sendable (String) -> Void) {
        condition.lock()
        let wasCurrent = connections[side] === connection
        if wasCurrent { connections[side] = nil }
        let ended = streamsEnded || stopReason != nil
        condition.broadcast()
        condition.unlock()
        connection.socket.close()
        if wasCurrent, !ended { log("optics: \(Self.sideName(side)) disconnected; waiting for the node to come back") }
    }
}
