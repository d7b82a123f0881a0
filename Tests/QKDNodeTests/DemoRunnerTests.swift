import Foundation
import KeyManagement
import QKDCore
import QKDNode
import Security
import Testing

/// A short link (50 km, 20 s of link time, 20 000-bit blocks) that runs in seconds in a debug
/// build yet goes through every stage.
private func shortLink(lengthKm: Double = 50) throws -> NodeConfiguration {
    let folder = try temporaryFolder()
    let path = try writeFile("""
        { "preset": "paper-120km", "fiber": { "lengthKm": \(lengthKm) }, "postProcessing": { "blockSize": 20000 } }
        """, named: "short.json", in: folder)
    return try PresetCatalog.configuration(file: path)
}

@Suite struct DemoRunnerTests {
    @Test func endToEndKeysAreIdenticalAndFollowTheFormula() throws {
        let configuration = try shortLink()
        let folder = try temporaryFolder()
        var runner = try DemoRunner(configuration: configuration, durationSeconds: 20, seed: 5, keyDirectory: folder)
        runner.settings.frameSeconds = 1
        let result = try runner.run()
        let summary = result.summary
        #expect(summary.blocks >= 3)
        #expect(summary.blocksWithKey >= 2)
        #expect(summary.keysIdentical)
        #expect(summary.keysStored > 0)
        #expect(summary.verificationFailures == 0)
        #expect(abs(summary.qberZ - 0.03) < 0.02, "at 50 km dark counts matter little: Z QBER \(summary.qberZ)")
        #expect(summary.efficiency > 1 && summary.efficiency < 1.3)

        let alice = try SQLiteKeyStore(path: folder + "/alice.sqlite")
        let bob = try SQLiteKeyStore(path: folder + "/bob.sqlite")
        let ids = try alice.keyIDs()
        #expect(ids == (try bob.keyIDs()))
        #expect(ids.count == summary.keysStored)
        for id in ids { #expect(try alice.key(id: id)?.bytes == bob.key(id: id)?.bytes) }
        #expect(Set(ids).count == ids.count)

        let analysis = ThreeStateFiniteKeyAnalysis(
            protocolDescription: try configuration.protocolDescription, security: configuration.postProcessing.security)
        for block in result.blocks where block.verified {
            let expected = try analysis.secretKey(counts: block.counts, leakage: block.disclosedBits + block.verificationBits)
            #expect(block.secretBits == expected.secretBits, "block \(block.blockID)")
            #expect(block.keysStored == block.secretBits / 256)
            #expect(block.leftoverBits == block.secretBits % 256)
        }
        #expect(summary.secretBits == result.blocks.reduce(0) { $0 + $1.secretBits })
        #expect(summary.secretBitsPerPulse < summary.repeaterlessBoundBitsPerPulse)
    }

    @Test func sameSeedSameRunBitForBit() throws {
        let configuration = try shortLink()
        let first = try DemoRunner(configuration: configuration, durationSeconds: 8, seed: 9, keyDirectory: try temporaryFolder()).run().summary
        let second = try DemoRunner(configuration: configuration, durationSeconds: 8, seed: 9, keyDirectory: try temporaryFolder()).run().summary
        let other = try DemoRunner(configuration: configuration, durationSeconds: 8, seed: 10, keyDirectory: try temporaryFolder()).run().summary
        var a = first, b = second
        a.keyStores = []
        b.keyStores = []
        #expect(a == b)
        #expect(first.detections != other.detections)
        let keysA = try SQLiteKeyStore(path: first.keyStores[0]), keysB = try SQLiteKeyStore(path: second.keyStores[0])
        #expect(try keysA.keyIDs() == keysB.keyIDs())
        #expect(try keysA.key(id: keysA.keyIDs()[0])?.bytes == keysB.key(id: keysA.keyIDs()[0])?.bytes)
    }

    @Test func noKeyAt400KilometresAndNothingWritten() throws {
        let configuration = try PresetCatalog.configuration(named: "paper-120km").withDistance(400)
        let folder = try temporaryFolder()
        let summary = try DemoRunner(configuration: configuration, durationSeconds: 3600, seed: 1, keyDirectory: folder).run().summary
        #expect(summary.secretBits == 0)
        #expect(summary.keysStored == 0)
        #expect(summary.keyStores.isEmpty)
        #expect(summary.noKeyReason != nil)
        #expect(summary.qberX > 0.3, "dark counts dominate: X QBER \(summary.qberX)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/alice.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/bob.sqlite"))
    }

    @Test func impossibleDurationIsRefused() throws {
        #expect(throws: QKDError.self) { try DemoRunner(configuration: try shortLink(), durationSeconds: -1, seed: 1, keyDirectory: "/tmp") }
    }
}
