import Foundation
import KeyManagement
import LinkProtocol
import Photonics
import QKDCore
import Security

/// What a demo run produced: its summary and the report of every block.
public struct DemoResult: Sendable {
    /// The summary (the `--json` output).
    public var summary: DemoSummary
    /// Every block, in order.
    public var blocks: [BlockReport]
}

/// Runs the whole link in one process: the emulated optics hand Alice's and Bob's streams to two
/// separate endpoints, which distil keys by exchanging encoded messages over an in-memory channel
/// and write them to two SQLite key stores.
public struct DemoRunner {
    /// The link and post-processing.
    public var configuration: NodeConfiguration
    /// Simulated link time (s).
    public var durationSeconds: Double
    /// Seed of every random choice of the run.
    public var seed: UInt64
    /// Folder of the two key stores (`alice.sqlite`, `bob.sqlite`), replaced at each run.
    public var keyDirectory: String
    /// Link time emulated per frame (s): the unit of sifting messages.
    public var frameSeconds: Double = 10

    /// Creates a runner.
    public init(configuration: NodeConfiguration, durationSeconds: Double, seed: UInt64, keyDirectory: String) throws {
        guard durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "duration must be positive, got \(durationSeconds) s")
        }
        self.configuration = configuration
        self.durationSeconds = durationSeconds
        self.seed = seed
        self.keyDirectory = keyDirectory
    }

    /// Runs the link; `progress` receives the fraction of link time done.
    public func run(progress: (Double) -> Void = { _ in }) throws -> DemoResult {
        let storePaths = try Self.prepareKeyDirectory(keyDirectory)
        let link = try InProcessLink(configuration: configuration, seed: seed, aliceStorePath: storePaths[0], bobStorePath: storePaths[1])
        let rate = configuration.link.source.repetitionRate
        let totalSlots = UInt64((durationSeconds * rate).rounded())
        let frameSlots = max(1, UInt64(frameSeconds * rate))
        while link.emulator.slotsEmulated < totalSlots {
            try link.runFrame(slotCount: min(frameSlots, totalSlots - link.emulator.slotsEmulated))
            progress(Double(link.emulator.slotsEmulated) / Double(totalSlots))
        }
        try link.finish()
        let reports = link.bob.reports
        let summary = try summary(of: reports, pulses: totalSlots, detections: link.detections, storePaths: storePaths)
        return DemoResult(summary: summary, blocks: reports)
    }

    /// Creates the key folder and removes the stores of an earlier run; returns Alice's and Bob's store paths.
    public static func prepareKeyDirectory(_ keyDirectory: String) throws -> [String] {
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

    /// The summary of a run from Bob's block reports, the pulses sent, the detected slots and
    /// the two key stores (compared key by key).
    public func summary(of reports: [BlockReport], pulses: UInt64, detections: UInt64, storePaths: [String]) throws -> DemoSummary {
        let sifted = reports.reduce(0) { $0 + $1.siftedBits }
        let errors = reports.reduce(0) { $0 + $1.correctedErrors }
        let counts = reports.reduce(ThreeStateCounts.zero) { $0 + $1.counts }
        let reconciled = reports.filter { $0.disclosedBits > 0 }
        let reconciledBits = reconciled.reduce(0) { $0 + $1.siftedBits }
        let efficiency = reconciledBits == 0 ? 0 : reconciled.reduce(0) { $0 + $1.efficiency * Double($1.siftedBits) } / Double(reconciledBits)
        let secretBits = reports.reduce(0) { $0 + $1.secretBits }
        let security = configuration.postProcessing.security
        let written = storePaths.filter { FileManager.default.fileExists(atPath: $0) }
        let identical = try Self.storesAgree(written)
        let phase = sifted == 0 ? 0.5 : reports.reduce(0) { $0 + $1.bound.phaseErrorRateUpper * Double($1.siftedBits) } / Double(sifted)
        let lossDb = configuration.link.fiber.lossDb
        return DemoSummary(
            preset: configuration.name, distanceKm: configuration.link.fiber.lengthKm, lossDb: lossDb,
            durationSeconds: durationSeconds, pulses: pulses, detections: detections,
            siftedBitsZ: UInt64(sifted), siftedBitsX: counts.siftedX,
            qberZ: sifted == 0 ? 0 : Double(errors) / Double(sifted), qberX: counts.qberX,
            disclosedBits: reports.reduce(0) { $0 + $1.disclosedBits },
            verificationBits: reports.reduce(0) { $0 + $1.verificationBits },
            efficiency: efficiency, roundTrips: reports.reduce(0) { $0 + $1.roundTrips },
            blocks: reports.count, blocksWithKey: reports.filter { $0.secretBits > 0 }.count,
            verificationFailures: reports.filter { $0.disclosedBits > 0 && !$0.verified }.count,
            secretBits: secretBits, secretKeyRate: Double(secretBits) / durationSeconds,
            secretBitsPerPulse: pulses == 0 ? 0 : Double(secretBits) / Double(pulses),
            repeaterlessBoundBitsPerPulse: RepeaterlessBound.bitsPerChannelUse(lossDb: lossDb),
            phaseErrorRateUpper: phase,
            epsilonCorrectness: security.epsilonCorrectness, epsilonSecrecy: security.epsilonSecrecy,
            epsilonSecurity: security.epsilonSecurity,
            keysStored: reports.reduce(0) { $0 + $1.keysStored }, keySizeBits: configuration.postProcessing.keySize,
            keysIdentical: identical, keyStores: written,
            noKeyReason: secretBits > 0 ? nil : Self.noKeyReason(reports),
            seed: seed)
    }

    /// Whether both stores hold the same IDs, in the same order, with the same bits.
    static func storesAgree(_ paths: [String]) throws -> Bool {
        if paths.isEmpty { return true }
        guard paths.count == 2 else { return false }
        let stores = try paths.map { try SQLiteKeyStore(path: $0) }
        let ids = try stores.map { try $0.keyIDs() }
        guard ids[0] == ids[1] else { return false }
        for id in ids[0] where try stores[0].key(id: id)?.bytes != stores[1].key(id: id)?.bytes { return false }
        return true
    }

    private static func noKeyReason(_ reports: [BlockReport]) -> String {
        if reports.isEmpty { return "no sifted bits: no photon or dark count reached a gate window in the run" }
        if let reason = reports.compactMap(\.bound.reasonForNoKey).last { return reason }
        if reports.contains(where: { $0.disclosedBits > 0 && !$0.verified }) { return "verification failed, blocks discarded" }
        return "the secret length of every block was below one key"
    }
}
