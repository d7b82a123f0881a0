import Foundation
import Photonics
import QKDCore

/// `qkd optics`: the link emulator as its own process. It listens on two local sockets, one per
/// side, emulates the link frame by frame while both nodes are connected (pausing while one is
/// away, as a link with a node down delivers no key), and sends Alice's records only to Alice
/// and Bob's clicks only to Bob. It can also record both streams to time-tag files.
public final class OpticsServer: @unchecked Sendable {
    private let configuration: NodeConfiguration
    private let seed: UInt64
    private let totalSlots: UInt64
    private let frameSlots: UInt64
    private let listeners: [TCPSocket]
    private let recordDirectory: String?
    private let condition = NSCondition()
    private var connections: [TCPSocket?] = [nil, nil]

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

    /// Serves the whole run, then closes both streams; `log` receives one line per event.
    /// Returns the pulses emulated and the slots with at least one click at Bob.
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
        var emulator = LinkEmulator(configuration: configuration.link, seed: seed)
        var detections: UInt64 = 0
        while emulator.slotsEmulated < totalSlots {
            let sockets = waitForBothSides()
            let frame = emulator.emulate(slotCount: min(frameSlots, totalSlots - emulator.slotsEmulated))
            detections += InProcessLink.countDetectedSlots(frame.bob)
            let parts = [
                DeviceFrame(firstSlot: frame.firstSlot, slotCount: frame.slotCount, aliceRecords: frame.alice).encoded,
                DeviceFrame(firstSlot: frame.firstSlot, slotCount: frame.slotCount, bobDetections: frame.bob).encoded,
            ]
            for side in 0..<2 {
                recorders?[side].write(Data(Self.lengthPrefix(parts[side].count) + parts[side]))
                do { try sockets[side].writeFrame(parts[side]) } catch {
                    log("optics: \(side == 0 ? "Alice" : "Bob") disconnected; waiting for the node to come back")
                    drop(side: side, socket: sockets[side])
                }
            }
        }
        recorders?.forEach { $0.closeFile() }
        condition.lock()
        connections.compactMap { $0 }.forEach { $0.close() }
        condition.unlock()
        log("optics: \(totalSlots) pulses served, streams closed")
        return (totalSlots, detections)
    }

    private static func lengthPrefix(_ count: Int) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: UInt32(count) >> (24 - 8 * UInt32($0))) }
    }

    private func acceptLoop(side: Int, log: @Sendable (String) -> Void) {
        while let socket = try? listeners[side].accept() {
            condition.lock()
            connections[side]?.close()
            connections[side] = socket
            condition.broadcast()
            condition.unlock()
            log("optics: \(side == 0 ? "Alice" : "Bob") connected")
        }
    }

    private func waitForBothSides() -> [TCPSocket] {
        condition.lock()
        defer { condition.unlock() }
        while connections.contains(where: { $0 == nil }) { condition.wait() }
        return connections.map { $0! }
    }

    private func drop(side: Int, socket: TCPSocket) {
        condition.lock()
        if connections[side] === socket {
            socket.close()
            connections[side] = nil
        }
        condition.unlock()
    }
}
