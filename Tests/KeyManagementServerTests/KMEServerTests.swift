import Foundation
import KeyManagement
import KeyManagementServer
import Testing

/// The ETSI GS QKD 014 server end to end: real mutual TLS on loopback, a real SQLite store file,
/// `curl` as the client.
@Suite(.timeLimit(.minutes(1))) struct KMEServerTests {
    private static let keys = KMEServer.basePath

    private func storedKeyCount(_ kme: TestKME) async throws -> Int? {
        try await kme.curl("\(Self.keys)/SAE_B/status", as: "SAE_A").json?["stored_key_count"] as? Int
    }

    @Test func statusDescribesThePairAndTheStore() async throws {
        let kme = try await TestKME(keyCount: 5)
        let result = try await kme.curl("\(Self.keys)/SAE_B/status", as: "SAE_A")
        #expect(result.status == 200)
        let status = try #require(result.json)
        #expect(status["source_KME_ID"] as? String == "KME_A")
        #expect(status["target_KME_ID"] as? String == "KME_B")
        #expect(status["master_SAE_ID"] as? String == "SAE_A")
        #expect(status["slave_SAE_ID"] as? String == "SAE_B")
        #expect(status["key_size"] as? Int == 256)
        #expect(status["stored_key_count"] as? Int == 5)
        #expect(status["max_key_per_request"] as? Int == 128)
        #expect(status["max_SAE_ID_count"] as? Int == 4)
        await kme.stop()
    }

    @Test func masterAndSlaveGetEqualKeysOnce() async throws {
        let kme = try await TestKME(keyCount: 6)
        let master = try await kme.curl("\(Self.keys)/SAE_B/enc_keys?number=2", as: "SAE_A")
        #expect(master.status == 200)
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        #expect(masterKeys.map { $0["key_ID"] } == kme.keys.prefix(2).map { $0.id.uuidString.lowercased() })
        #expect(masterKeys.map { $0["key"] } == kme.keys.prefix(2).map { Data($0.bytes).base64EncodedString() })

        let byPost = try await kme.curl(
            "\(Self.keys)/SAE_A/dec_keys", as: "SAE_B",
            body: #"{"key_IDs": [{"key_ID": "\#(masterKeys[0]["key_ID"]!)"}]}"#)
        #expect(byPost.status == 200)
        #expect(byPost.json?["keys"] as? [[String: String]] == [masterKeys[0]])
        let byGet = try await kme.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(masterKeys[1]["key_ID"]!)", as: "SAE_B")
        #expect(byGet.json?["keys"] as? [[String: String]] == [masterKeys[1]])

        let again = try await kme.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(masterKeys[1]["key_ID"]!)", as: "SAE_B")
        #expect(again.status == 400)
        #expect(try SQLiteKeyStore(path: kme.pki.path("kme.sqlite")).count() == 4)
        await kme.stop()
    }

    /// `additional_slave_SAE_IDs`: every slave gets the master's keys once; the last one deletes them.
    @Test func additionalSlavesGetTheSameKeysOnceEach() async throws {
        let kme = try await TestKME(keyCount: 4)
        let master = try await kme.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"number": 2, "additional_slave_SAE_IDs": ["SAE_C"]}"#)
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        let query = "key_ID=\(masterKeys[0]["key_ID"]!)&key_ID=\(masterKeys[1]["key_ID"]!)"
        for slave in ["SAE_B", "SAE_C"] {
            let first = try await kme.curl("\(Self.keys)/SAE_A/dec_keys?\(query)", as: slave)
            #expect(first.json?["keys"] as? [[String: String]] == masterKeys, "\(slave)")
            #expect(try await kme.curl("\(Self.keys)/SAE_A/dec_keys?\(query)", as: slave).status == 400, "\(slave) gets them once")
            #expect(try SQLiteKeyStore(path: kme.pki.path("kme.sqlite")).count() == (slave == "SAE_B" ? 4 : 2))
        }
        let unpaired = try await kme.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"additional_slave_SAE_IDs": ["SAE_D"]}"#)
        #expect(unpaired.status == 401)
        #expect(try await storedKeyCount(kme) == 2)
        await kme.stop()
    }

    @Test func postedRequestsGiveKeysOfTheAskedSize() async throws {
        let kme = try await TestKME(keyCount: 8)
        let result = try await kme.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A",
            body: #"{"number": 3, "size": 512, "extension_optional": [{"abc_route_type": "direct"}]}"#)
        #expect(result.status == 200)
        let keys = try #require(result.json?["keys"] as? [[String: String]])
        #expect(keys.count == 3)
        #expect(keys.compactMap { $0["key"].flatMap { Data(base64Encoded: $0) }?.count } == [64, 64, 64])
        #expect(try await storedKeyCount(kme) == 2)
        await kme.stop()
    }

    @Test(arguments: [
        ("enc_keys", #"{"number": 1,"#, "not valid JSON"),
        ("enc_keys", #"{"number": 1, "colour": "red"}"#, "unknown field"),
        ("enc_keys", #"{"number": true}"#, "not an integer"),
        ("enc_keys", #"{"extension_mandatory": [{"abc_route_type": "direct"}]}"#, "unsupported mandatory extension"),
        ("enc_keys", #"{"size": 12}"#, "not a multiple of 8"),
        ("enc_keys", #"{"size": 8192}"#, "not a multiple of 8 in"),
        ("enc_keys", #"{"number": 129}"#, "max_key_per_request"),
        ("enc_keys", #"{"number": 0}"#, "outside"),
        ("enc_keys", #"{"additional_slave_SAE_IDs": ["SAE_C", "SAE_D", "SAE_E", "SAE_F", "SAE_G"]}"#, "exceed max_SAE_ID_count 4"),
        ("enc_keys", #"{"additional_slave_SAE_IDs": ["SAE_C", "SAE_C"]}"#, "named twice"),
        ("enc_keys", #"{"additional_slave_SAE_IDs": ["SAE_B"]}"#, "named twice"),
        ("enc_keys", #"{"additional_slave_SAE_IDs": "SAE_C"}"#, "not an array"),
        ("enc_keys?size=12", nil, "not a multiple of 8"),
        ("enc_keys?count=2", nil, "unknown query parameter"),
        ("dec_keys", #"{"key_IDs": [{"key_ID": "not-a-uuid"}]}"#, "not a UUID"),
        ("dec_keys", #"{"key_IDs": [{"key_ID": "8f3c2b1a-0000-4000-8000-000000000000"}]}"#, "unknown"),
        ("dec_keys", #"{"key_IDs": []}"#, "empty"),
        ("dec_keys?key_ID=8f3c2b1a-0000-4000-8000-000000000000", nil, "unknown"),
    ] as [(String, String?, String)])
    func badInputIs400WithTheETSIBodyAndConsumesNothing(path: String, body: String?, message: String) async throws {
        let kme = try await TestKME(keyCount: 4)
        let (caller, peer) = path.hasPrefix("dec_keys") ? ("SAE_B", "SAE_A") : ("SAE_A", "SAE_B")
        let result = try await kme.curl("\(Self.keys)/\(peer)/\(path)", as: caller, body: body)
        #expect(result.status == 400)
        let error = try #require(result.json)
        #expect((error["message"] as? String)?.contains(message) == true, "\(error)")
        #expect(error["details"] is [Any])
        #expect(try await storedKeyCount(kme) == 4)
        await kme.stop()
    }

    @Test func tooFewKeysIs503AndTakesNothing() async throws {
        let kme = try await TestKME(keyCount: 2)
        let result = try await kme.curl("\(Self.keys)/SAE_B/enc_keys?number=3", as: "SAE_A")
        #expect(result.status == 503)
        #expect((result.json?["message"] as? String)?.contains("not enough key material") == true)
        #expect(try await storedKeyCount(kme) == 2)
        await kme.stop()
    }

    @Test func clientsWithoutAValidCertificateFailTheHandshake() async throws {
        let kme = try await TestKME(keyCount: 2)
        let otherCA = try DevelopmentPKI.create(in: kme.directory + "/other-ca")
        for result in [
            try await kme.curl("\(Self.keys)/SAE_B/status", as: nil),
            try await kme.curl("\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", clientPKI: otherCA),
        ] {
            #expect(result.status == 0 && result.exitCode != 0, "TLS refused, no HTTP answer: \(result.status)")
        }
        #expect(try await storedKeyCount(kme) == 2)
        await kme.stop()
    }

    @Test(arguments: [
        ("SAE_B", "SAE_A/enc_keys"), ("SAE_B", "SAE_A/status"), ("SAE_A", "SAE_D/enc_keys"),
        ("SAE_A", "SAE_B/dec_keys?key_ID=8f3c2b1a-0000-4000-8000-000000000000"),
    ])
    func aValidSAEAskingForAnotherPairIs401(caller: String, path: String) async throws {
        let kme = try await TestKME(keyCount: 2)
        let result = try await kme.curl("\(Self.keys)/\(path)", as: caller)
        #expect(result.status == 401)
        #expect(result.json?["message"] is String)
        #expect(try await storedKeyCount(kme) == 2)
        await kme.stop()
    }

    @Test func thirtyTwoConcurrentClientsGetDisjointKeysCoveringTheStore() async throws {
        let kme = try await TestKME(keyCount: 320)
        let taken = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<32 {
                group.addTask {
                    var mine: [String] = []
                    for _ in 0..<20 {
                        let result = try await kme.curl("\(Self.keys)/SAE_B/enc_keys?number=4", as: "SAE_A")
                        guard result.status == 200 else { break }
                        mine += (result.json?["keys"] as? [[String: String]] ?? []).compactMap { $0["key_ID"] }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(taken.count == 320)
        #expect(Set(taken) == Set(kme.keys.map { $0.id.uuidString.lowercased() }))
        await kme.stop()
    }

    @Test func theOpenAPIDocumentIsServedAndUnknownPathsGetTheETSIBody() async throws {
        let kme = try await TestKME(keyCount: 1)
        let document = try await kme.curl(KMEServer.openAPIPath, as: "SAE_A")
        #expect(document.status == 200)
        #expect(document.body == (try KMEOpenAPIDocument.data()))
        let unknown = try await kme.curl("\(Self.keys)/SAE_B/new_keys", as: "SAE_A")
        #expect(unknown.status == 404)
        #expect(unknown.json?["message"] is String && unknown.json?["details"] is [Any])
        await kme.stop()
    }
}
