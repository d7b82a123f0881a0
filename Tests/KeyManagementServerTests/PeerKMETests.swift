import Foundation
import KeyManagement
import KeyManagementServer
import QKDCore
import Testing

/// A KME at each end of a link, each with its own SQLite store holding the same keys (as the two
/// link nodes write them), talking to each other over mutual TLS on loopback: the configurations
/// `kme-a.json` (SAE_A, the master) and `kme-b.json` (SAE_B, the slave) of the development PKI.
@Suite(.timeLimit(.minutes(1))) struct PeerKMETests {
    private static let keys = KMEServer.basePath

    /// KME_B, then KME_A pointed at it, sharing one PKI and holding the same `keyCount` keys.
    private func startPair(keyCount: Int) async throws -> (a: TestKME, b: TestKME) {
        let b = try await TestKME(keyCount: keyCount, configurationFile: "kme-b.json")
        let a = try await TestKME(keyCount: keyCount, sharing: b.pki, configurationFile: "kme-a.json") { $0.peer?.port = b.port }
        return (a, b)
    }

    private func storedKeyIDs(_ kme: TestKME, file: String) throws -> Set<UUID> {
        Set(try SQLiteKeyStore(path: kme.pki.path(file)).keyIDs())
    }

    @Test func theSlaveGetsTheMastersKeysOnceFromItsOwnKME() async throws {
        let (a, b) = try await startPair(keyCount: 16)
        let master = try await a.curl("\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"number": 2, "size": 512}"#)
        #expect(master.status == 200)
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        let ids = masterKeys.compactMap { $0["key_ID"].flatMap(UUID.init(uuidString:)) }
        #expect(ids.count == 2 && ids.allSatisfy { KeyShare.even.contains($0) }, "KME_A (the first ID) hands out the even share")

        let slave = try await b.curl(
            "\(Self.keys)/SAE_A/dec_keys", as: "SAE_B",
            body: #"{"key_IDs": [{"key_ID": "\#(masterKeys[0]["key_ID"]!)"}, {"key_ID": "\#(masterKeys[1]["key_ID"]!)"}]}"#)
        #expect(slave.status == 200)
        #expect(slave.json?["keys"] as? [[String: String]] == masterKeys)
        let again = try await b.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(masterKeys[0]["key_ID"]!)", as: "SAE_B")
        #expect(again.status == 400)

        // Each 512-bit key used two stored keys; both KMEs deleted all four, and nothing else.
        let used = Set(a.keys.filter { KeyShare.even.contains($0.id) }.prefix(4).map(\.id))
        #expect(Set(ids).isSubset(of: used))
        #expect(try storedKeyIDs(a, file: "kme-a.sqlite") == Set(a.keys.map(\.id)).subtracting(used))
        #expect(try storedKeyIDs(b, file: "kme-b.sqlite") == Set(b.keys.map(\.id)).subtracting(used))
        let evenLeft = a.keys.filter { KeyShare.even.contains($0.id) }.count - 4
        #expect(try await a.curl("\(Self.keys)/SAE_B/status", as: "SAE_A").json?["stored_key_count"] as? Int == evenLeft)
        await a.stop()
        await b.stop()
    }

    /// The peer KME passes `additional_slave_SAE_IDs` on: both slaves at KME_B get the keys.
    @Test func additionalSlavesAtThePeerGetTheSameKeys() async throws {
        let (a, b) = try await startPair(keyCount: 8)
        let master = try await a.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"additional_slave_SAE_IDs": ["SAE_C"]}"#)
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        for slave in ["SAE_B", "SAE_C"] {
            let result = try await b.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(masterKeys[0]["key_ID"]!)", as: slave)
            #expect(result.json?["keys"] as? [[String: String]] == masterKeys, "\(slave)")
        }
        #expect(try storedKeyIDs(b, file: "kme-b.sqlite").count == 7)
        await a.stop()
        await b.stop()
    }

    @Test func eachKMEServesOnlyTheSAEsAttachedToItAndOnlyItsPeerMayNotify() async throws {
        let (a, b) = try await startPair(keyCount: 4)
        let refused = [
            try await b.curl("\(Self.keys)/SAE_B/enc_keys", as: "SAE_A"),
            try await a.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(a.keys[0].id)", as: "SAE_B"),
            try await b.curl(
                KMEServer.peerDeliveriesPath, as: "SAE_A",
                body: #"{"master_SAE_ID": "SAE_A", "slave_SAE_ID": "SAE_B", "size": 256, "keys": [{"key_ID": "\#(a.keys[0].id)", "stored_key_IDs": ["\#(a.keys[0].id)"]}]}"#),
        ]
        #expect(refused.map(\.status) == [401, 401, 401])
        #expect(try storedKeyIDs(b, file: "kme-b.sqlite").count == 4)
        await a.stop()
        await b.stop()
    }

    @Test func anUnreachablePeerIs503AndNoKeyIsHandedOut() async throws {
        let (a, b) = try await startPair(keyCount: 8)
        await b.stop()
        let result = try await a.curl("\(Self.keys)/SAE_B/enc_keys", as: "SAE_A")
        #expect(result.status == 503)
        #expect((result.json?["message"] as? String)?.contains("the peer KME KME_B is unreachable") == true, "\(result.json ?? [:])")
        #expect(result.json?["keys"] == nil)
        await a.stop()
    }

    /// A hybrid key on a direct link: KME_A and KME_B exchange an ML-KEM-768 secret over their
    /// peer channel; the master and the slave get the same key under the QKD key's ID, and it is
    /// not the QKD key (512-bit keys: each is cut from two stored keys, both replaced at KME_B).
    @Test func hybridKeysOnADirectLinkAreTheSameAtBothEndsAndNotTheQKDKeys() async throws {
        let (a, b) = try await startPair(keyCount: 32)
        let body = #"{"number": 2, "size": 512, "extension_mandatory": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#
        let master = try await a.curl("\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: body)
        #expect(master.status == 200, "\(master.json ?? [:])")
        let masterKeys = try #require(master.json?["keys"] as? [[String: String]])
        let evenKeys = a.keys.filter { KeyShare.even.contains($0.id) }
        #expect(masterKeys.map { $0["key_ID"] } == [evenKeys[0].id, evenKeys[2].id].map { $0.uuidString.lowercased() },
                "the key IDs are the plain QKD keys' IDs")
        let qkdKeys = [evenKeys[0].bytes + evenKeys[1].bytes, evenKeys[2].bytes + evenKeys[3].bytes]
        let hybridKeys = masterKeys.map { [UInt8](Data(base64Encoded: $0["key"] ?? "") ?? Data()) }
        #expect(hybridKeys.map(\.count) == [64, 64])
        #expect(hybridKeys[0] != qkdKeys[0] && hybridKeys[1] != qkdKeys[1], "the QKD keys went through the combiner")
        #expect(hybridKeys[0] != hybridKeys[1])

        let slave = try await b.curl(
            "\(Self.keys)/SAE_A/dec_keys", as: "SAE_B",
            body: #"{"key_IDs": [{"key_ID": "\#(masterKeys[0]["key_ID"]!)"}, {"key_ID": "\#(masterKeys[1]["key_ID"]!)"}]}"#)
        #expect(slave.status == 200, "\(slave.json ?? [:])")
        #expect(slave.json?["keys"] as? [[String: String]] == masterKeys, "the slave's KME derived the same hybrid keys")
        let used = Set(evenKeys.prefix(4).map(\.id))
        #expect(try storedKeyIDs(a, file: "kme-a.sqlite") == Set(a.keys.map(\.id)).subtracting(used))
        #expect(try storedKeyIDs(b, file: "kme-b.sqlite") == Set(b.keys.map(\.id)).subtracting(used))

        // The optional extension gives a hybrid key too where, as here, the KMEs can derive one.
        let optional = try await a.curl(
            "\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: #"{"extension_optional": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#)
        let optionalKey = try #require((optional.json?["keys"] as? [[String: String]])?.first)
        #expect(optionalKey["key_ID"] == evenKeys[4].id.uuidString.lowercased())
        #expect(optionalKey["key"] != Data(evenKeys[4].bytes).base64EncodedString())
        let optionalSlave = try await b.curl("\(Self.keys)/SAE_A/dec_keys?key_ID=\(optionalKey["key_ID"]!)", as: "SAE_B")
        #expect((optionalSlave.json?["keys"] as? [[String: String]])?.first == optionalKey)
        await a.stop()
        await b.stop()
    }

    /// A hybrid request the KMEs cannot serve is refused before any key is taken: another KEM,
    /// a value that is not a string, a key too short for the combiner.
    @Test func aBadHybridRequestIs400AndConsumesNoKey() async throws {
        let (a, b) = try await startPair(keyCount: 8)
        let requests = [
            (#"{"extension_mandatory": [{"qkdkit_hybrid": "X25519"}]}"#, #"extension "qkdkit_hybrid" in extension_mandatory: "X25519" is not a supported KEM"#),
            (#"{"extension_optional": [{"qkdkit_hybrid": 768}]}"#, #"extension "qkdkit_hybrid" in extension_optional must be the string "ML-KEM-768""#),
            (#"{"size": 64, "extension_mandatory": [{"qkdkit_hybrid": "ML-KEM-768"}]}"#, "size 64 bits: a hybrid key needs 128..."),
        ]
        for (body, message) in requests {
            let result = try await a.curl("\(Self.keys)/SAE_B/enc_keys", as: "SAE_A", body: body)
            #expect(result.status == 400, "\(body)")
            #expect((result.json?["message"] as? String)?.contains(message) == true, "\(result.json ?? [:])")
            #expect(result.json?["keys"] == nil)
        }
        #expect(try storedKeyIDs(a, file: "kme-a.sqlite") == Set(a.keys.map(\.id)))
        #expect(try storedKeyIDs(b, file: "kme-b.sqlite") == Set(b.keys.map(\.id)))
        let evenCount = a.keys.filter { KeyShare.even.contains($0.id) }.count
        #expect(try await a.curl("\(Self.keys)/SAE_B/status", as: "SAE_A").json?["stored_key_count"] as? Int == evenCount)
        await a.stop()
        await b.stop()
    }

    /// 32 clients ask KME_A at once: the keys they get are disjoint, and KME_B gives the slave
    /// exactly those keys with the same bits.
    @Test func thirtyTwoConcurrentMastersGetDisjointKeysTheSlaveGetsToo() async throws {
        let (a, b) = try await startPair(keyCount: 256)
        let taken = try await withThrowingTaskGroup(of: [[String: String]].self) { group in
            for _ in 0..<32 {
                group.addTask {
                    let result = try await a.curl("\(Self.keys)/SAE_B/enc_keys?number=3", as: "SAE_A")
                    return result.status == 200 ? (result.json?["keys"] as? [[String: String]] ?? []) : []
                }
            }
            return try await group.reduce(into: [[String: String]]()) { $0 += $1 }
        }
        let evenCount = a.keys.filter { KeyShare.even.contains($0.id) }.count
        #expect(evenCount >= 96)
        #expect(taken.count == 96)
        #expect(Set(taken.compactMap { $0["key_ID"] }).count == taken.count, "no key given twice")
        for batch in stride(from: 0, to: taken.count, by: 32).map({ Array(taken[$0..<min($0 + 32, taken.count)]) }) {
            let body = #"{"key_IDs": ["# + batch.map { #"{"key_ID": "\#($0["key_ID"]!)"}"# }.joined(separator: ", ") + "]}"
            let slave = try await b.curl("\(Self.keys)/SAE_A/dec_keys", as: "SAE_B", body: body)
            #expect(slave.json?["keys"] as? [[String: String]] == batch)
        }
        await a.stop()
        await b.stop()
    }
}
