import Foundation
import QKDCore

/// What every in-process run of the link needs (`qkd demo`, `qkd run`): the link and
/// post-processing, the simulated duration, the seed, the key folder and the frame length.
public struct LinkRunSettings: Sendable {
    /// The link and post-processing.
    public var configuration: NodeConfiguration
    /// Simulated link time (s).
    public var durationSeconds: Double
    /// Seed of every random choice of the run.
    public var seed: UInt64
    /// Folder of the two key stores (`alice.sqlite`, `bob.sqlite`), replaced at each run.
    public var keyDirectory: String
    /// Link time emulated per frame (s): the unit of sifting messages and of the controllers'
    /// measurements.
    public var frameSeconds: Double = 10

    /// Creates the settings; the duration must be positive.
    public init(configuration: NodeConfiguration, durationSeconds: Double, seed: UInt64, keyDirectory: String) throws {
        guard durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "duration must be positive, got \(durationSeconds) s")
        }
        self.configuration = configuration
        self.durationSeconds = durationSeconds
        self.seed = seed
        self.keyDirectory = keyDirectory
    }

    /// Pulses of the whole run and of one frame.
    func slotCounts() throws -> (total: UInt64, frame: UInt64) {
        guard frameSeconds > 0, frameSeconds.isFinite else {
            throw QKDError(.invalidParameter, "frame length must be positive, got \(frameSeconds) s")
        }
        let rate = configuration.link.source.repetitionRate
        return (UInt64((durationSeconds * rate).rounded()), max(1, UInt64(frameSeconds * rate)))
    }

    /// Creates the key folder and removes the stores of an earlier run; returns Alice's and
    /// Bob's store paths.
    public func prepareKeyDirectory() throws -> [String] {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: keyDirectory, withIntermediateDirectories: true)
        } catch {
            throw QKDError(.storage, "cannot create key folder \(keyDirectory)")
        }
        let paths = ["alice.sqlite", "bob.sqlite"].map { (keyDirectory as NSString).appendingPathComponent($0) }
        for path in paths {
            for suffix in ["", "-wal", "-shm"] where manager.fileExists(atPath: path + suffix) {
                do { try manager.removeItem(atPath: path + suffix) } catch {
                    throw QKDError(.storage, "cannot replace the earlier demo key store \(path + suffix)")
                }
            }
        }
        return paths
    }
}
