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
    /// The link, duration, seed, key folder and frame length.
    public var settings: LinkRunSettings

    /// Creates a runner; the duration must be positive.
    public init(configuration: NodeConfiguration, durationSeconds: Double, seed: UInt64, keyDirectory: String) throws {
        settings = try LinkRunSettings(configuration: configuration, durationSeconds: durationSeconds, seed: seed, keyDirectory: keyDirectory)
    }

    /// Runs the link; `progress` receives the fraction of link time done.
    public func run(progress: (Double) -> Void = { _ in }) throws -> DemoResult {
        let (totalSlots, frameSlots) = try settings.slotCounts()
        let storePaths = try settings.prepareKeyDirectory()
        let link = try InProcessLink(settings: settings, storePaths: storePaths)
        while link.emulator.slotsEmulated < totalSlots {
            try link.runFrame(slotCount: min(frameSlots, totalSlots - link.emulator.slotsEmulated))
            progress(Double(link.emulator.slotsEmulated) / Double(totalSlots))
        }
        try link.finish()
        let reports = link.bob.reports
        let summary = try summary(of: reports, pulses: totalSlots, detections: link.detections, storePaths: storePaths)
        return DemoResult(summary: summary, blocks: reports)
    }

    /// The summary of a run from Bob's block reports, the pulses sent, the detected slots and
    /// the two key stores (compared key by key).
    public func summary(of reports: [BlockReport], pulses: UInt64, detections: UInt64, storePaths: [String]) throws -> DemoSummary {
        let configuration = settings.configuration
        let sifted = reports.reduce(0) { $0 + $1.siftedBits }
        let measured = reports.filter(\.errorsAreKnown)
        let measuredBits = measured.reduce(0) { $0 + $1.siftedBits }
        let errors = measured.reduce(0) { $0 + $1.correctedErrors }
        let counts = reports.reduce(ThreeStateCounts.zero) { $0 + $1.counts }
        let reconciled = measured.filter { $0.disclosedBits > 0 }
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
            durationSeconds: settings.durationSeconds, pulses: pulses, detections: detections,
            siftedBitsZ: UInt64(sifted), siftedBitsX: counts.siftedX,
            qberZ: measuredBits == 0 ? 0 : Double(errors) / Double(measuredBits), qberX: counts.qberX,
            disclosedBits: reports.reduce(0) { $0 + $1.disclosedBits },
            verificationBits: reports.reduce(0) { $0 + $1.verificationBits },
            efficiency: efficiency, roundTrips: reports.reduce(0) { $0 + $1.roundTrips },
            blocks: reports.count, blocksWithKey: reports.filter { $0.secretBits > 0 }.count,
            verificationFailures: reports.filter { $0.disclosedBits > 0 && !$0.verified && $0.discardReason == nil }.count,
            secretBits: secretBits, secretKeyRate: Double(secretBits) / settings.durationSeconds,
            secretBitsPerPulse: pulses == 0 ? 0 : Double(secretBits) / Double(pulses),
            repeaterlessBoundBitsPerPulse: RepeaterlessBound.bitsPerChannelUse(lossDb: lossDb),
            phaseErrorRateUpper: phase,
            epsilonCorrectness: security.epsilonCorrectness, epsilonSecrecy: security.epsilonSecrecy,
            epsilonSecurity: security.epsilonSecurity,
            keysStored: reports.reduce(0) { $0 + $1.keysStored }, keySizeBits: configuration.postProcessing.keySize,
            keysIdentical: identical, keyStores: written,
            noKeyReason: secretBits > 0 ? nil : Self.noKeyReason(reports),
            seed: settings.seed,
            blocksByMethod: reports.reduce(into: [:]) { counts, report in
                if let method = report.method { counts[method.rawValue, default: 0] += 1 }
            },
            blocksDiscarded: reports.filter { $0.discardReason != nil }.count)
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
        if let reason = reports.compactMap(\.discardReason).last { return "blocks discarded: \(reason)" }
        if reports.contains(where: { $0.disclosedBits > 0 && !$0.verified }) { return "verification failed, blocks discarded" }
        return "the secret length of every block was below one key"
    }
}
