import Foundation
import KeyManagement
import Testing

/// A test folder holding a short, fast link configuration and a random bootstrap key.
struct LinkFixture {
    let folder: String

    /// Creates the folder with `link-LENGTH.json` for each length and `boot.key`.
    init(lengthsKm: [Int] = [50]) throws {
        folder = scratchPath("qkd-net")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for lengthKm in lengthsKm {
            try Data("""
                { "preset": "paper-120km", "fiber": { "lengthKm": \(lengthKm) }, "postProcessing": { "blockSize": 20000 } }
                """.utf8).write(to: URL(fileURLWithPath: folder + "/link-\(lengthKm).json"))
        }
        var generator = SystemRandomNumberGenerator()
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) })
            .write(to: URL(fileURLWithPath: folder + "/boot.key"))
    }

    /// Removes the folder and everything in it (call once the processes have stopped).
    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The optics of `link-50.json` as a process emulating `duration` of link time in 1 s frames,
    /// and the ports it serves Alice and Bob on.
    func startOptics(duration: String) throws -> (process: QKDProcess, alicePort: Int, bobPort: Int) {
        let optics = try QKDProcess(["optics", "--config", "link-50.json", "--duration", duration, "--frame", "1s"], in: folder, name: "optics")
        do {
            return (optics, try optics.port(after: "alice port "), try optics.port(after: "bob port "))
        } catch {
            optics.stop()
            throw error
        }
    }

    /// A node of `link-50.json` with the bootstrap key and a 1024-bit reserve, storing in
    /// `ROLE.sqlite`: Alice listens on `peerPort` (0: any free port), Bob connects to it; both read
    /// the optics at `opticsPort`; `arguments` are added.
    func startNode(_ role: String, peerPort: Int, opticsPort: Int, arguments: [String] = [], name: String? = nil) throws -> QKDProcess {
        try QKDProcess(["node", "--role", role, "--peer", "127.0.0.1:\(peerPort)", "--optics", "127.0.0.1:\(opticsPort)",
                        "--store", "\(role).sqlite", "--config", "link-50.json", "--bootstrap-key", "boot.key", "--reserve-bits", "1024"] + arguments,
                       in: folder, name: name ?? role)
    }

    /// Checks that both stores hold the same committed keys (IDs and bytes), the same
    /// authentication pool, and nothing pending; returns the key count.
    @discardableResult
    func expectIdenticalStores(alice: String = "alice.sqlite", bob: String = "bob.sqlite") throws -> Int {
        let aliceStore = try SQLiteKeyStore(path: folder + "/" + alice)
        let bobStore = try SQLiteKeyStore(path: folder + "/" + bob)
        let ids = try aliceStore.keyIDs()
        #expect(ids == (try bobStore.keyIDs()))
        for id in ids { #expect(try aliceStore.key(id: id)?.bytes == bobStore.key(id: id)?.bytes) }
        #expect(try aliceStore.pendingBlocks().isEmpty)
        #expect(try bobStore.pendingBlocks().isEmpty)
        #expect(try aliceStore.authenticationSegments() == bobStore.authenticationSegments())
        return ids.count
    }
}
