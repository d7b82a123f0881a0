import Foundation
import Testing

/// `qkd pki init`, `qkd kme serve` and `qkd keys` together, as a user runs them: the built
/// executable, a demo's key store, real mutual TLS on a free loopback port.
@Suite(.timeLimit(.minutes(1))) struct KeyServerCommandTests {
    private var executable: URL {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = folder.appendingPathComponent("qkd")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : folder.deletingLastPathComponent().appendingPathComponent("qkd")
    }

    private func qkd(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test func masterAndSlaveFetchTheSameKeyThroughTheCommandLine() throws {
        let folder = NSTemporaryDirectory() + "qkd-kme-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try qkd(["demo", "--distance", "60", "--duration", "10s", "--json", "--key-dir", folder + "/keys"]).status == 0)
        #expect(try qkd(["pki", "init", folder + "/pki", "--port", "0"]).status == 0)

        let server = Process()
        server.executableURL = executable
        server.arguments = ["kme", "serve", "--config", folder + "/pki/kme.json", "--store", folder + "/keys/alice.sqlite"]
        let serverOutput = Pipe()
        server.standardOutput = serverOutput
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let line = String(decoding: serverOutput.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(line)")
        #expect(line.hasPrefix("listening on https://127.0.0.1:"), "\(line)")

        let pki = folder + "/pki/"
        let master = ["--kme", "localhost:\(port)", "--cert", pki + "sae-a.pem", "--key", pki + "sae-a-key.pem", "--cacert", pki + "ca.pem"]
        let slave = ["--kme", "localhost:\(port)", "--cert", pki + "sae-b.pem", "--key", pki + "sae-b-key.pem", "--cacert", pki + "ca.pem"]
        let got = try qkd(["keys", "get", "SAE_B", "--size", "128"] + master)
        #expect(got.status == 0, "\(got.stderr)")
        let masterKeys = try #require(try JSONSerialization.jsonObject(with: Data(got.stdout.utf8)) as? [String: [[String: String]]])["keys"]
        let keyID = try #require(masterKeys?.first?["key_ID"])
        #expect(masterKeys?.first?["key"].flatMap { Data(base64Encoded: $0) }?.count == 16)

        let dec = try qkd(["keys", "dec", "SAE_A", keyID] + slave)
        #expect(dec.status == 0, "\(dec.stderr)")
        let slaveKeys = try JSONSerialization.jsonObject(with: Data(dec.stdout.utf8)) as? [String: [[String: String]]]
        #expect(slaveKeys?["keys"] == masterKeys)

        let again = try qkd(["keys", "dec", "SAE_A", keyID] + slave)
        #expect(again.status == 2)
        #expect(again.stderr.hasPrefix("error: the KME answered 400: key ID \(keyID)"), "\(again.stderr)")
        #expect(again.stderr.split(separator: "\n").count == 1)

        let wrongSAE = try qkd(["keys", "status", "SAE_A"] + slave)
        #expect(wrongSAE.status == 2)
        #expect(wrongSAE.stderr.contains("401"), "\(wrongSAE.stderr)")
    }

    @Test func aMissingConfigurationIsOneLineAndExitCodeTwo() throws {
        let result = try qkd(["kme", "serve", "--config", "/nonexistent/kme.json"])
        #expect(result.status == 2)
        #expect(result.stderr == "error: KME configuration /nonexistent/kme.json cannot be read\n")
    }
}
