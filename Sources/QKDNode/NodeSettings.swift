import Foundation
import LinkProtocol
import QKDCore

/// How one node runs: its role, link configuration, addresses, files and pipeline.
public struct NodeSettings: Sendable {
    /// Alice (`.aliceToBob`) or Bob (`.bobToAlice`).
    public var role: LinkDirection
    /// The link and post-processing; both nodes must agree.
    public var configuration: NodeConfiguration
    /// Alice: `HOST:PORT` to listen on; Bob: Alice's `HOST:PORT`.
    public var peerAddress: String
    /// The node's SQLite key store.
    public var storePath: String
    /// The pre-shared bootstrap key file (raw bytes, at least 24).
    public var bootstrapKeyPath: String
    /// Secret bits of every block that refill the authentication pool (a multiple of 128).
    public var authenticationReserveBits: Int
    /// The most blocks distilled at once: Bob opens a block whenever enough sifted bits wait
    /// and this many are not yet open, so the pipeline deepens only while blocks wait on round
    /// trips to the peer.
    public var maximumBlocksInFlight: Int
    /// Seconds to keep trying to reach the peer before giving up.
    public var patience: Double
    /// Seconds without a frame from the peer, while blocks are in flight, after which the session
    /// is ended (its blocks discarded) and restarted: a frame lost in transit leaves both nodes
    /// waiting for each other, and no later frame would reveal the gap. It must exceed the
    /// longest the peer computes between two frames (an LDPC decoding of a large block in a
    /// debug build can take minutes).
    public var peerSilenceLimit: Double

    /// The default `authenticationReserveBits` (`qkd node --reserve-bits`).
    public static let defaultAuthenticationReserveBits = 4096
    /// The default `peerSilenceLimit` in seconds (`qkd node --peer-timeout`).
    public static let defaultPeerSilenceLimit = 10.0

    /// Creates settings, validating the reserve, the bootstrap key file, the pipeline depth and the
    /// silence limit.
    public init(role: LinkDirection, configuration: NodeConfiguration, peerAddress: String, storePath: String, bootstrapKeyPath: String,
                authenticationReserveBits: Int = defaultAuthenticationReserveBits, maximumBlocksInFlight: Int = 16, patience: Double = 10,
                peerSilenceLimit: Double = defaultPeerSilenceLimit) throws {
        guard authenticationReserveBits >= 0, authenticationReserveBits % 128 == 0 else {
            throw QKDError(.invalidParameter, "authentication reserve must be a non-negative multiple of 128 bits, got \(authenticationReserveBits)")
        }
        guard FileManager.default.fileExists(atPath: bootstrapKeyPath) else {
            throw QKDError(.notFound, "missing bootstrap key file \(bootstrapKeyPath)")
        }
        guard maximumBlocksInFlight >= 1 else {
            throw QKDError(.invalidParameter, "blocks in flight must be at least 1, got \(maximumBlocksInFlight)")
        }
        guard peerSilenceLimit > 0, peerSilenceLimit.isFinite else {
            throw QKDError(.invalidParameter, "peer silence limit must be a positive number of seconds, got \(peerSilenceLimit)")
        }
        self.role = role
        self.configuration = configuration
        self.peerAddress = peerAddress
        self.storePath = storePath
        self.bootstrapKeyPath = bootstrapKeyPath
        self.authenticationReserveBits = authenticationReserveBits
        self.maximumBlocksInFlight = maximumBlocksInFlight
        self.patience = patience
        self.peerSilenceLimit = peerSilenceLimit
    }

    /// The digest both nodes compare at the handshake: every link and post-processing parameter
    /// and the authentication reserve (FNV-1a over their description; the configuration's name
    /// is left out, so two files with equal parameters agree).
    public var parameterDigest: UInt64 {
        let text = "\(configuration.link)|\(configuration.postProcessing)|\(authenticationReserveBits)"
        return text.utf8.reduce(0xCBF2_9CE4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }
}
