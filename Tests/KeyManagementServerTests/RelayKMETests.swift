import Foundation
import KeyManagement
import KeyManagementServer
import KeyRelay
import QKDCore
import Testing

/// Three real KMEs on loopback with mutual TLS, configured by `DevelopmentPKI.createNetwork` for
/// the corridor A - B - C (no A-C link): SAE_A at A, SAE_C at C, nothing attached to B. Each node
/// holds its copy of each of its links' pools as an SQLite file, filled with the same reproducible
/// keys at both ends of a link, and its relayed keys in its own SQLite store. Serialized: each
/// test runs three or four TLS servers, and the suite should not start them all at once on a
/// loaded machine.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RelayKMETests {
    private static let keys = KMEServer.basePath

    private struct Network {
        let directory: String
        let pki: DevelopmentPKI
        let kmes: [String: TestKME]

        var a: TestKME { kmes["A"]! }
        var c: TestKME { kmes["C"]! }

        func stop() async {
            for kme in kmes.values { await kme.stop() }
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// The stored key IDs of `node`'s copy of link `link`.
        func pool(_ node: String, _ link: String) throws -> Set<UUID> {
            Set(try SQLiteKeyStore(path: pki.path(DevelopmentPKI.linkStoreFile(node: node, link: link))).keyIDs())
        }

        /// `node`'s audit log.
        func audit(_ node: String) -> String {
            (try? String(contentsOfFile: pki.path("kme-\(node)-audit.log"), encoding: .utf8)) ?? ""
        }
    }

    private static func network() throws -> NetworkDescription {
        try NetworkDescription(
            nodes: [.init(id: "A", saes: ["SAE_A"]), .init(id: "B"), .init(id: "C", saes: ["SAE_C"])],
            links: [
                .init(id: "A-B", from: "A", to: "B", preset: "paper-120km", lengthKm: 120),
                .init(id: "B-C", from: "B", to: "C", preset: "paper-120km", lengthKm: 120),
            ])
    }

    /// A ring of four: A - B - C - D - A, SAE_A at A and SAE_C at C, two routes between them.
    private static func square() throws -> NetworkDescription {
        try NetworkDescription(
            nodes: [.init(id: "A", saes: ["SAE_A"]), .init(id: "B"), .init(id: "C", saes: ["SAE_C"]), .init(id: "D")],
            links: [
                .init(id: "A-B", from: "A", to: "B", preset: "paper-120km", lengthKm: 60),
                .init(id: "B-C", from: "B", to: "C", preset: "paper-120km", lengthKm: 60),
                .init(id: "C-D", from: "C", to: "D", preset: "paper-120km", lengthKm: 60),
                .init(id: "D-A", from: "D", to: "A", preset: "paper-120km", lengthKm: 60),
            ])
    }

    /// `count` reproducible 256-bit keys of link `link`, as both its ends hold them.
    private static func linkKeys(_ link: String, count: Int) -> [StoredKey] {
        var generator = SeededGenerator(seed: 11, stream: "relay test link \(link)")
        return KeyChunker.randomIdentifiers(count: count, using: &generator).map { id in
            StoredKey(id: id, bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }, blockID: 1, createdAt: Date())
        }
    }

    /// Starts the KMEs of `network` in `order`, each pointed at the neighbours started before it
    /// (a relay from A to C only calls towards C, so starting from C, the ports of neighbours
    /// started later are never dialled), with `linkKeyCounts` keys in each link's pools.
    private func start(
        _ network: NetworkDescription, order: [String], linkKeyCounts: [String: Int],
        drawKey: @escaping @Sendable (Int) -> [UInt8] = KeyRelayNetwork.systemRandomBytes
    ) async throws -> Network {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("RelayKMETests-\(UUID().uuidString)").path
        let pki = try DevelopmentPKI.createNetwork(in: directory, network: network, port: 1)
        let fill: (KMEConfiguration, [StoredKey]) async throws -> any KeyDeliveryStore = { configuration, _ in
            for link in configuration.relay?.links ?? [] {
                try SQLiteKeyStore(path: link.storePath).insert(Self.linkKeys(link.linkID, count: linkKeyCounts[link.linkID] ?? 0))
            }
            return try SQLiteKeyDeliveryStore(path: configuration.storePath)
        }
        var kmes: [String: TestKME] = [:]
        for node in order {
            var neighbourPorts: [String: Int] = [:]
            for link in network.links where link.touches(node) {
                neighbourPorts[link.id] = kmes[link.otherEnd(from: node)]?.port
            }
            kmes[node] = try await TestKME(
                keyCount: 0, sharing: pki, configurationFile: DevelopmentPKI.configurationFile(node: node),
                configure: { configuration in
                    for index in configuration.relay!.links.indices {
                        if let port = neighbourPorts[configuration.relay!.links[index].linkID] {
                            configuration.relay!.links[index].port = port
                        }
                    }
                },
                openStore: fill, drawRelayKey: drawKey)
        }
        return Network(directory: directory, pki: pki, kmes: kmes)
    }

    /// The corridor A - B - C.
    private func startCorridor(
        linkKeyCounts: [String: Int], drawKey: @escaping @Sendable (Int) -> [UInt8] = KeyRelayNetwork.systemRandomBytes
    ) async throws -> Network {
        try await start(Self.network(), order: ["C", "B", "A"], linkKeyCounts: linkKeyCounts, drawKey: drawKey)
    }

    private static func keyIDsBody(_ keys: [[String: String]]) -> String {
        #"{"key_IDs": ["# + keys.map { #"{"key_ID": "\#($0["key_ID"]!)"}"# }.joined(separator: ", ") + "]}"
    }

    @Test func theEndSAEsGetIdenticalKeysAndTheTrustedNodeKeepsNone() async throws {
        let corridor = try await startCorridor(linkKeyCounts: ["A-B": 16, "B-C": 16])
        let master = try await corridor.a.curl("\(Self.keys)/SAE_C/enc_keys", as: "SAE_A", body: #"{"number": 2, "size": 256}"#)
        #expect(master.status == 200, "\(master.json ?? [:])")
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        #expect(masterKeys.count == 2)
        let slave = try await corridor.c.curl("\(Self.keys)/SAE_A/dec_keys", as: "SAE_C", body: Self.keyIDsBody(masterKeys))
        #expect(slave.status == 200)
        #expect(slave.json?["keys"] as? [[String: String]] == masterKeys, "same IDs, same material")
        let again = try await corridor.c.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(masterKeys[0]["key_ID"]!)", as: "SAE_C")
        #expect(again.status == 400, "a relayed key is delivered once")

        // B stored none of the keys: its store of relayed keys is empty, its link pools hold
        // neither their IDs nor their material, and its audit log says it erased them.
        let ids = Set(masterKeys.compactMap { $0["key_ID"].flatMap(UUID.init(uuidString:)) })
        let material = Set(masterKeys.compactMap { $0["key"].flatMap { Data(base64Encoded: $0) } })
        #expect(try SQLiteKeyStore(path: corridor.pki.path("kme-B.sqlite")).count() == 0)
        for link in ["A-B", "B-C"] {
            let pool = try SQLiteKeyStore(path: corridor.pki.path(DevelopmentPKI.linkStoreFile(node: "B", link: link)))
            for id in try pool.keyIDs() {
                #expect(!ids.contains(id))
                #expect(!material.contains(Data(try #require(try pool.key(id: id)).bytes)))
            }
        }
        for id in ids.map({ $0.uuidString.lowercased() }) {
            #expect(corridor.audit("B").contains("relay key \(id) (256 bits, A -> B -> C): received over link A-B, re-encrypted for link B-C to C; held in memory only, erased, not stored"))
            #expect(corridor.audit("C").contains("relay key \(id) (256 bits, A -> B -> C): received over link B-C, stored for SAE_C"))
        }
        #expect(try SQLiteKeyStore(path: corridor.pki.path("kme-C.sqlite")).count() == 0, "C deleted the keys once SAE_C had them")

        // Every hop used two 256-bit link keys as pads, deleted at both of its ends alike.
        for link in ["A-B", "B-C"] {
            let left = try corridor.pool(link == "A-B" ? "A" : "C", link)
            #expect(left.count == 14, "\(link)")
            #expect(try corridor.pool("B", link) == left, "\(link): both copies of the pool lost the same pads")
        }
        let status = try await corridor.a.curl("\(Self.keys)/SAE_C/status", as: "SAE_A")
        #expect(status.json?["target_KME_ID"] as? String == "C")
        #expect((status.json?["stored_key_count"] as? Int ?? 0) > 0)
        await corridor.stop()
    }

    @Test func noKeyOnOneHopIs503AndNothingIsConsumedOnTheOther() async throws {
        let corridor = try await startCorridor(linkKeyCounts: ["A-B": 8, "B-C": 0])
        let before = try corridor.pool("A", "A-B")
        let result = try await corridor.a.curl("\(Self.keys)/SAE_C/enc_keys", as: "SAE_A")
        #expect(result.status == 503)
        #expect(
            (result.json?["message"] as? String)?.contains("no route from node A to node C has 256 bits of key on every link") == true,
            "\(result.json ?? [:])")
        #expect(result.json?["keys"] == nil)
        #expect(try corridor.pool("A", "A-B") == before)
        #expect(try corridor.pool("B", "A-B") == before)
        let status = try await corridor.a.curl("\(Self.keys)/SAE_C/status", as: "SAE_A")
        #expect(status.json?["stored_key_count"] as? Int == 0)
        await corridor.stop()
    }

    @Test func hybridKeysAreTheSameAtBothEndsUnderTheRelayedKeyID() async throws {
        let qkdKeyByte: UInt8 = 0x5A
        let corridor = try await startCorridor(linkKeyCounts: ["A-B": 16, "B-C": 16]) { count in
            [UInt8](repeating: qkdKeyByte, count: count)
        }
        let body = #"{"size": 256, "extension_mandatory": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#
        let master = try await corridor.a.curl("\(Self.keys)/SAE_C/enc_keys", as: "SAE_A", body: body)
        #expect(master.status == 200, "\(master.json ?? [:])")
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        let slave = try await corridor.c.curl("\(Self.keys)/SAE_A/dec_keys", as: "SAE_C", body: Self.keyIDsBody(masterKeys))
        #expect(slave.json?["keys"] as? [[String: String]] == masterKeys)
        let hybridKey = try #require(masterKeys.first?["key"].flatMap { Data(base64Encoded: $0) })
        #expect(hybridKey.count == 32)
        #expect(hybridKey != Data(repeating: qkdKeyByte, count: 32), "the relayed QKD key went through the combiner")
        #expect(corridor.audit("C").contains("stored as a hybrid key with ML-KEM-768 for SAE_C"))

        // A second hybrid key from the same QKD key material: a fresh ML-KEM-768 secret (and key
        // ID) gives another key, again the same at both ends.
        let second = try await corridor.a.curl("\(Self.keys)/SAE_C/enc_keys", as: "SAE_A", body: body)
        let secondKeys = try #require(second.json?["keys"] as? [[String: String]])
        #expect(secondKeys.first?["key"] != masterKeys.first?["key"])
        let secondSlave = try await corridor.c.curl("\(Self.keys)/SAE_A/dec_keys", as: "SAE_C", body: Self.keyIDsBody(secondKeys))
        #expect(secondSlave.json?["keys"] as? [[String: String]] == secondKeys)
        await corridor.stop()
    }

    /// With B stopped, A no longer hears from it and takes its link out of the route choice: the
    /// key goes round through D, and still arrives identical at C.
    @Test func aKMEThatStopsIsRoutedAround() async throws {
        let ring = try await start(
            Self.square(), order: ["C", "B", "D", "A"], linkKeyCounts: ["A-B": 16, "B-C": 16, "C-D": 16, "D-A": 16])
        await ring.kmes["B"]!.stop()
        let poolAB = try ring.pool("A", "A-B")
        let master = try await ring.a.curl("\(Self.keys)/SAE_C/enc_keys", as: "SAE_A")
        #expect(master.status == 200, "\(master.json ?? [:])")
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        let slave = try await ring.c.curl("\(Self.keys)/SAE_A/dec_keys", as: "SAE_C", body: Self.keyIDsBody(masterKeys))
        #expect(slave.json?["keys"] as? [[String: String]] == masterKeys)
        let id = try #require(masterKeys.first?["key_ID"])
        #expect(ring.audit("D").contains("relay key \(id) (256 bits, A -> D -> C): received over link D-A"))
        #expect(try ring.pool("A", "A-B") == poolAB, "no pad taken on the link to the stopped KME")
        await ring.stop()
    }

    /// The relay endpoints answer neighbour KMEs only: an SAE's certificate, or the certificate
    /// of a KME that is not at the other end of the hop's link, is refused.
    @Test func onlyTheNeighbourAtTheOtherEndOfTheLinkMayRelay() async throws {
        let corridor = try await startCorridor(linkKeyCounts: ["A-B": 4, "B-C": 4])
        let forward = #"{"master_SAE_ID": "SAE_A", "slave_SAE_ID": "SAE_C", "size": 256, "route": ["A", "B", "C"], "links": ["A-B", "B-C"], "hop": 1, "keys": [{"key_ID": "\#(UUID())", "pad_key_IDs": ["\#(UUID())"], "ciphertext": "AA=="}]}"#
        let bySAE = try await corridor.c.curl(KMEServer.peerRelayForwardPath, as: "SAE_A", body: forward)
        let levelsBySAE = try await corridor.c.curl(KMEServer.peerRelayLevelsPath, as: "SAE_C", body: #"{"visited": []}"#)
        let byKMEA = try await Curl.run([
            "--cacert", corridor.pki.path("ca.pem"), "--cert", corridor.pki.path("kme-A-peer.pem"),
            "--key", corridor.pki.path("kme-A-peer-key.pem"), "-X", "POST", "-H", "Content-Type: application/json",
            "--data-binary", forward, corridor.c.url(KMEServer.peerRelayForwardPath),
        ])
        #expect(bySAE.status == 401)
        #expect(levelsBySAE.status == 401)
        #expect(byKMEA.status == 401, "A is a KME of the network, but not at the other end of link B-C")
        #expect(try corridor.pool("C", "B-C").count == 4, "nothing taken from the pool")
        await corridor.stop()
    }

    @Test func aMandatoryHybridKeyIsRefusedByAKMEWithNoSecondKME() async throws {
        let kme = try await TestKME(keyCount: 4)
        let result = try await kme.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"extension_mandatory": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#)
        #expect(result.status == 400)
        #expect((result.json?["message"] as? String)?.contains("need a second KME to exchange an ML-KEM-768 secret with") == true)
        let optional = try await kme.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"extension_optional": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#)
        #expect(optional.status == 200, "an optional extension the KME cannot honour gives the plain key")
        await kme.stop()
    }

    @Test func hybridExtensionValuesOtherThanMLKEM768AreRefused() throws {
        #expect(try KeyRequest(body: Data(#"{"extension_optional": {"qkdkit_hybrid": "ML-KEM-768"}}"#.utf8)).hybrid == .ifSupported)
        #expect(try KeyRequest(body: Data(#"{"extension_mandatory": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#.utf8)).hybrid == .required)
        #expect(try KeyRequest(body: Data(#"{"number": 1}"#.utf8)).hybrid == .no)
        #expect(throws: ETSIError.self) { try KeyRequest(body: Data(#"{"extension_mandatory": [{"qkdkit_hybrid": "X25519"}]}"#.utf8)) }
    }

    @Test func aRelayConfigurationMustListEveryLinkOfItsNode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("RelayConfig-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = try DevelopmentPKI.createNetwork(in: directory, network: Self.network(), port: 9000)
        let configuration = try KMEConfiguration.load(file: pki.path("kme-B.json"))
        #expect(configuration.relay?.links.map(\.linkID).sorted() == ["A-B", "B-C"])
        #expect(configuration.relay?.links.first { $0.linkID == "B-C" }?.port == 9002)
        var broken = configuration
        broken.relay?.links.removeAll { $0.linkID == "B-C" }
        let path = pki.path("broken.json")
        try broken.write(to: path)
        let error = #expect(throws: QKDError.self) { try KMEConfiguration.load(file: path) }
        #expect(error?.message.contains("relay: link B-C of node B is not listed") == true, "\(String(describing: error))")
    }
}
