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
    /// The optics; `qkd run` changes their conditions between frames.
    var emulator: LinkEmulator
    /// Pulse slots in which at least one detector clicked, so far.
    private(set) var detections: UInt64 = 0
    private let aliceChannel: InMemoryChannel
    private let bobChannel: InMemoryChannel

    /// Creates the link of `settings`, writing Alice's keys to `storePaths[0]` and Bob's to `storePaths[1]`.
    init(settings: LinkRunSettings, storePaths: [String]) throws {
        (aliceChannel, bobChannel) = InMemoryChannel.pair()
        alice = try AliceEndpoint(configuration: settings.configuration, channel: aliceChannel, seed: settings.seed) {
            try SQLiteKeyStore(path: storePaths[0])
        }
        bob = try BobEndpoint(configuration: settings.configuration, channel: bobChannel, seed: settings.seed) {
            try SQLiteKeyStore(path: storePaths[1])
        }
        emulator = LinkEmulator(configuration: settings.configuration.link, seed: settings.seed)
    }

    /// Emulates the next `slotCount` pulses, hands each side its stream and lets the endpoints
    /// exchange messages until the channel is quiet.
    func runFrame(slotCount: UInt64) throws {
        try deliver(emulator.emulate(slotCount: slotCount))
    }

    /// Hands each side its stream of an emulated `frame` and lets the endpoints exchange
    /// messages until the channel is quiet.
    func deliver(_ frame: EmulatedFrame) throws {
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
