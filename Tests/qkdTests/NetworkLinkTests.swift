import Foundation
import KeyManagement
import Testing

/// A process of the built `qkd`, its standard output and error in files.
private final class QKDProcess {
    let process = Process()
    let outputPath: String
    let errorPath: String

    init(_ arguments: [String], in folder: String, name: String) throws {
        let binaryFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var executable = binaryFolder.appendingPathComponent("qkd")
        if !FileManager.default.fileExists(atPath: executable.path) {
            executable = binaryFolder.deletingLastPathComponent().appendingPathComponent("qkd")
        }
        outputPath = folder + "/\(name).out"
        errorPath = folder + "/\(name).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// The number after `marker` in the output, waiting up to `seconds` for it to appear.
    func port(after marker: String, seconds: Double = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let range = output.range(of: marker) {
                let digits = output[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CancellationError()
    }

    /// Waits for the exit, killing the process after `seconds` (so a hang cannot block CI).
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    func stop() { if process.isRunning { process.terminate() } }
}

private func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "qkd-net-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func writeLink(in folder: String, lengthKm: Int = 50) throws {
    try Data("""
        { "preset": "paper-120km", "fiber": { "lengthKm": \(lengthKm) }, "postProcessing": { "blockSize": 20000 } }
        """.utf8).write(to: URL(fileURLWithPath: folder + "/link-\(lengthKm).json"))
    var generator = SystemRandomNumberGenerator()
    try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: folder + "/boot.key"))
}

@Suite(.serialized) struct NetworkLinkTests {
    @Test(.timeLimit(.minutes(2))) func threeProcessesOnLoopbackGiveIdenticalStores() throws {
        let folder = try temporaryFolder()
        try writeLink(in: folder)
        let optics = try QKDProcess(["optics", "--config", "link-50.json", "--duration", "60s", "--frame", "1s"], in: folder, name: "optics")
        defer { optics.stop() }
        let alicePort = try optics.port(after: "alice port "), bobPort = try optics.port(after: "bob port ")
        let common = ["--config", "link-50.json", "--bootstrap-key", "boot.key", "--reserve-bits", "1024"]
        let alice = try QKDProcess(["node", "--role", "alice", "--peer", "127.0.0.1:0", "--optics", "127.0.0.1:\(alicePort)",
                                    "--store", "alice.sqlite"] + common, in: folder, name: "alice")
        defer { alice.stop() }
        let peerPort = try alice.port(after: "listening on port ")
        let bob = try QKDProcess(["node", "--role", "bob", "--peer", "127.0.0.1:\(peerPort)", "--optics", "127.0.0.1:\(bobPort)",
                                  "--store", "bob.sqlite"] + common, in: folder, name: "bob")
        defer { bob.stop() }
        #expect(bob.waitForExit(seconds: 90) == 0, "\(bob.errors)")
        #expect(alice.waitForExit(seconds: 10) == 0, "\(alice.errors)")

        let aliceStore = try SQLiteKeyStore(path: folder + "/alice.sqlite")
        let bobStore = try SQLiteKeyStore(path: folder + "/bob.sqlite")
        let ids = try aliceStore.keyIDs()
        #expect(ids == (try bobStore.keyIDs()))
        #expect(!ids.isEmpty)
        for id in ids { #expect(try aliceStore.key(id: id)?.bytes == bobStore.key(id: id)?.bytes) }
        let blocks = bob.errors.components(separatedBy: "\n").filter { $0.contains("committed; authentication") }
        #expect(blocks.count >= 10, "\(bob.errors)")
        #expect(try aliceStore.pendingBlocks().isEmpty)
        #expect(try aliceStore.authenticationSegments() == bobStore.authenticationSegments())
    }

    @Test(.timeLimit(.minutes(1))) func badInputIsAClearError() throws {
        let folder = try temporaryFolder()
        try writeLink(in: folder)
        try writeLink(in: folder, lengthKm: 60)
        let missing = try QKDProcess(["node", "--role", "alice", "--config", "link-50.json", "--peer", "127.0.0.1:0", "--time-tags", "none",
                                      "--store", "a.sqlite", "--bootstrap-key", "absent.key"], in: folder, name: "missing")
        #expect(missing.waitForExit(seconds: 20) == 2)
        #expect(missing.errors.contains("missing bootstrap key file absent.key"), "\(missing.errors)")

        let optics = try QKDProcess(["optics", "--config", "link-50.json", "--duration", "30s"], in: folder, name: "optics")
        defer { optics.stop() }
        let alicePort = try optics.port(after: "alice port "), bobPort = try optics.port(after: "bob port ")
        let unreachable = try QKDProcess(["node", "--role", "bob", "--config", "link-50.json", "--peer", "127.0.0.1:1", "--patience", "1",
                                          "--optics", "127.0.0.1:\(bobPort)", "--store", "b.sqlite", "--bootstrap-key", "boot.key"], in: folder, name: "unreachable")
        #expect(unreachable.waitForExit(seconds: 20) == 2)
        #expect(unreachable.errors.contains("cannot reach peer Alice at 127.0.0.1:1"), "\(unreachable.errors)")
        #expect(unreachable.errors.split(separator: "\n").count == 1, "\(unreachable.errors)")

        let alice = try QKDProcess(["node", "--role", "alice", "--config", "link-50.json", "--peer", "127.0.0.1:0", "--optics", "127.0.0.1:\(alicePort)",
                                    "--store", "a.sqlite", "--bootstrap-key", "boot.key"], in: folder, name: "alice")
        defer { alice.stop() }
        let peerPort = try alice.port(after: "listening on port ")
        let other = try QKDProcess(["node", "--role", "bob", "--config", "link-60.json", "--peer", "127.0.0.1:\(peerPort)",
                                    "--optics", "127.0.0.1:\(bobPort)", "--store", "b.sqlite", "--bootstrap-key", "boot.key"], in: folder, name: "other")
        #expect(other.waitForExit(seconds: 20) == 2)
        #expect(other.errors.contains("other parameters"), "\(other.errors)")
        #expect(alice.waitForExit(seconds: 20) == 2)
        #expect(alice.errors.contains("other parameters"), "\(alice.errors)")
    }
}
