import KeyManagement
import LinkProtocol
import Photonics
import QKDCore

/// Alice's and Bob's endpoints joined by an in-memory channel and fed frame by frame from one
/// event-level emulator, writing keys to two SQLite stores: the driver that `qkd demo` and
/// `qkd run` share. Each endpoint sees only its own device's stream.
final class InProcessLink {
    let alice: AliceEndpoint
    let bob: BobEndpoint
    /// The optics; `qkd run` changes its decoder phase between frames.
    var emulator: LinkEmulator
    /// Pulse slots in which at least one detector clicked, so far.
    private(set) var detections: UInt64 = 0
    private let aliceChannel: InMemoryChannel
    private let bobChannel: InMemoryChannel

    init(configuration: NodeConfiguration, seed: UInt64, aliceStorePath: String, bobStorePath: String) throws {
        (aliceChannel, bobChannel) = InMemoryChannel.pair()
        alice = try AliceEndpoint(configuration: configuration, channel: aliceChannel, seed: seed) {
            try SQLiteKeyStore(path: aliceStorePath)
        }
        bob = try BobEndpoint(configuration: configuration, channel: bobChannel, seed: seed) {
            try SQLiteKeyStore(path: bobStorePath)
        }
        emulator = LinkEmulator(configuration: configuration.link, seed: seed)
    }

    /// Emulates the next `slotCount` pulses, hands each side its stream and lets the endpoints
    /// exchange messages until the channel is quiet.
    func runFrame(slotCount: UInt64) throws {
        let frame = emulator.emulate(slotCount: slotCount)
        detections += Self.countDetectedSlots(frame.bob)
        alice.ingest(frame.alice)
        try bob.ingest(firstSlot: frame.firstSlot, slotCount: frame.slotCount, detections: frame.bob)
        try exchange()
    }

    /// Closes the block in progress at the end of a run.
    func finish() throws {
        try bob.finish()
        try exchange()
    }

    private func exchange() throws {
        var active = true
        while active {
            active = false
            while let message = try aliceChannel.receive() { try alice.handle(message); active = true }
            while let message = try bobChannel.receive() { try bob.handle(message); active = true }
        }
    }

    static func countDetectedSlots(_ clicks: [BobDetection]) -> UInt64 {
        var count: UInt64 = 0
        var previous: UInt64? = nil
        for click in clicks where click.slot != previous {
            count += 1
            previous = click.slot
        }
        return count
    }
}
