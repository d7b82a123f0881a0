import Foundation
import KeyManagement
import KeyRelay
import QKDCore
import Testing

@Suite("KeyRelayNetwork")
struct KeyRelayNetworkTests {
    /// A-B-C, no A-C link.
    static func corridor() throws -> NetworkDescription {
        try NetworkDescription(
            nodes: [.init(id: "A", saes: ["SAE_A"]), .init(id: "B"), .init(id: "C", saes: ["SAE_C"])],
            links: [
                .init(id: "A-B", from: "A", to: "B", preset: "paper-120km", lengthKm: 120),
                .init(id: "B-C", from: "B", to: "C", preset: "paper-120km", lengthKm: 120),
            ])
    }

    /// The ring n1-n2-n3-n4-n5-n1.
    static func ring() throws -> NetworkDescription {
        let ids = ["n1", "n2", "n3", "n4", "n5"]
        return try NetworkDescription(
            nodes: ids.map { .init(id: $0) },
            links: ids.indices.map { index in
                let from = ids[index], to = ids[(index + 1) % ids.count]
                return .init(id: "\(from)-\(to)", from: from, to: to, preset: "paper-120km", lengthKm: 20)
            })
    }

    /// `count` stored keys of 256 bits for link `link`, from a generator seeded by the link's name.
    static func linkKeys(_ count: Int, link: String, seed: UInt64 = 1) -> [StoredKey] {
        var generator = SeededGenerator(seed: seed, stream: link)
        return (0..<count).map { _ in
            StoredKey(id: UUID(), bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }, blockID: 1, createdAt: Date())
        }
    }

    static func fill(_ relay: KeyRelayNetwork, keysPerLink: Int) async throws {
        for link in relay.network.links {
            try await relay.deposit(linkKeys(keysPerLink, link: link.id), onLink: link.id)
        }
    }

    @Test func aCorridorRelayGivesBothEndsTheSameKeyThroughETSIDeliveryAndTheMiddleRetainsNone() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("KeyRelayTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func path(_ role: RelayStoreRole) -> String {
            switch role {
            case let .linkPool(node, link): directory.appendingPathComponent("\(node)-pool-\(link).sqlite").path
            case let .relayedKeys(node, peer): directory.appendingPathComponent("\(node)-relayed-\(peer).sqlite").path
            }
        }
        let relay = try KeyRelayNetwork(network: try Self.corridor()) { role in try SQLiteKeyStore(path: path(role)) }
        try await Self.fill(relay, keysPerLink: 4)

        var outcomes: [RelayOutcome] = []
        for _ in 0..<3 { outcomes.append(try await relay.relay(from: "A", to: "C", sizeBits: 256)) }
        #expect(outcomes.allSatisfy { $0.route.nodes == ["A", "B", "C"] && $0.consumedBits == [256, 256] })
        #expect(try await relay.availableBits(onLink: "A-B") == 256)
        #expect(try await relay.availableBits(onLink: "B-C") == 256)

        // The end KMEs serve the relayed keys with the ETSI 014 delivery store, as keys of a
        // direct link: A's KME takes them for its master SAE and tells C's KME, whose slave SAE
        // then gets them by ID.
        let pair = SAEPair(master: "SAE_A", slave: "SAE_C")
        let masterStore = try SQLiteKeyDeliveryStore(path: path(.relayedKeys(node: "A", peer: "C")))
        let slaveStore = try SQLiteKeyDeliveryStore(path: path(.relayedKeys(node: "C", peer: "A")))
        let deliveries = try await masterStore.takeForPeerDelivery(count: 3, sizeBits: 256, share: .all)
        try await slaveStore.recordPeerDelivery(
            deliveries.map { KeyReservation(keyID: $0.key.id, storedKeyIDs: $0.storedKeyIDs) }, sizeBits: 256, pair: pair, peerShare: .all)
        let slaveKeys = try await slaveStore.takeForSlave(ids: deliveries.map(\.key.id), pair: pair)
        #expect(slaveKeys == deliveries.map(\.key))
        #expect(Set(slaveKeys.map(\.id)) == Set(outcomes.map(\.keyID)))
        #expect(Set(slaveKeys.map(\.bytes)).count == 3)

        // B kept nothing: no store of relayed keys, no relayed key ID or material in its pools,
        // and its audit log says it held each key and erased it.
        let middleStores = await relay.stores(of: "B")
        #expect(middleStores.keys.allSatisfy { if case .linkPool = $0 { true } else { false } })
        for store in middleStores.values {
            let ids = Set(try store.keyIDs())
            #expect(ids.isDisjoint(with: outcomes.map(\.keyID)))
            let materials = Set(try ids.compactMap { try store.key(id: $0)?.bytes })
            #expect(materials.isDisjoint(with: slaveKeys.map(\.bytes)))
        }
        let middleLog = await relay.auditLog(of: "B")
        #expect(middleLog.count == 3)
        for outcome in outcomes {
            #expect(middleLog.contains { $0.contains("\(outcome.keyID)") && $0.contains("held") && $0.contains("erased") })
        }
        #expect(await relay.auditLog(of: "A").count == 3)
    }

    @Test func withoutEnoughKeyOnARouteTheRelayIsUnavailableAndConsumesNothing() async throws {
        let relay = try KeyRelayNetwork(network: try Self.corridor())
        try await relay.deposit(Self.linkKeys(4, link: "A-B"), onLink: "A-B")
        try await relay.deposit(Self.linkKeys(1, link: "B-C"), onLink: "B-C")
        await #expect(throws: QKDError(.unavailable, "no route from node A to node C has 512 bits of key on every link")) {
            try await relay.relay(from: "A", to: "C", sizeBits: 512)
        }
        #expect(try await relay.availableBits(onLink: "A-B") == 1024)
        #expect(try await relay.availableBits(onLink: "B-C") == 256)
        #expect(try await relay.relayedKeys(node: "A", peer: "C").count() == 0)
        _ = try await relay.relay(from: "A", to: "C", sizeBits: 256)
        await #expect(throws: QKDError.self) { try await relay.relay(from: "A", to: "C", sizeBits: 256) }
        #expect(try await relay.availableBits(onLink: "A-B") == 768)
        #expect(try await relay.relayedKeys(node: "C", peer: "A").count() == 1)
    }

    @Test func badRequestsNameWhatIsWrong() async throws {
        let relay = try KeyRelayNetwork(network: try Self.corridor())
        await #expect(throws: QKDError(.invalidParameter, "the network has no node \"Z\"")) {
            try await relay.relay(from: "A", to: "Z", sizeBits: 256)
        }
        await #expect(throws: QKDError(.invalidParameter, "a relay needs two different nodes, not A twice")) {
            try await relay.relay(from: "A", to: "A", sizeBits: 256)
        }
        await #expect(throws: QKDError(.invalidParameter, "relayed key size 12 bits is not a positive multiple of 8")) {
            try await relay.relay(from: "A", to: "C", sizeBits: 12)
        }
        await #expect(throws: QKDError(.notFound, "the network has no link \"A-C\"")) { try await relay.setLink("A-C", up: false) }
    }

    @Test func cuttingARingLinkReroutesAndEveryKeyIsStillIdenticalAtBothEnds() async throws {
        let relay = try KeyRelayNetwork(network: try Self.ring())
        try await Self.fill(relay, keysPerLink: 6)
        let before = try await relay.relay(from: "n1", to: "n3", sizeBits: 256)
        #expect(before.route.nodes == ["n1", "n2", "n3"])
        try await relay.setLink("n2-n3", up: false)
        var after: [RelayOutcome] = []
        for _ in 0..<3 { after.append(try await relay.relay(from: "n1", to: "n3", sizeBits: 256)) }
        #expect(after.allSatisfy { $0.route.nodes == ["n1", "n5", "n4", "n3"] })
        let atSource = try await relay.relayedKeys(node: "n1", peer: "n3")
        let atDestination = try await relay.relayedKeys(node: "n3", peer: "n1")
        #expect(try atSource.keyIDs() == (try atDestination.keyIDs()))
        #expect(try atSource.count() == 4)
        for id in try atSource.keyIDs() {
            #expect(try atSource.key(id: id)?.bytes == (try atDestination.key(id: id)?.bytes))
        }
        try await relay.setLink("n2-n3", up: true)
        #expect(try await relay.route(from: "n1", to: "n3", sizeBits: 256).nodes == ["n1", "n2", "n3"])
    }

    @Test func routesFavourFullPoolsOverFewerHops() async throws {
        let relay = try KeyRelayNetwork(network: try Self.ring())
        for link in relay.network.links {
            try await relay.deposit(Self.linkKeys(link.id == "n1-n2" ? 1 : 40, link: link.id), onLink: link.id)
        }
        // Via n2 weighs 1/256 + 1/10240 (n1-n2 holds one stored key); via n5 and n4, 3/10240.
        #expect(try await relay.route(from: "n1", to: "n3", sizeBits: 256).nodes == ["n1", "n5", "n4", "n3"])
    }

    /// Keys of mixed sizes (pads of part of a stored key, of several) until the corridor runs
    /// dry, on in-memory and SQLite pools: each hop's pads are the link's stored keys in the
    /// order they were deposited, each used once (the bits of a pad's last stored key beyond
    /// the key are dropped with it, never reused), and every key is the same at both ends.
    @Test(arguments: ["memory", "sqlite"])
    func padsTakeEachStoredKeyOnceOldestFirstAndBothEndsAgree(storeKind: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("KeyRelayPads-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let relay = try KeyRelayNetwork(network: try Self.corridor()) { role in
            storeKind == "memory" ? MemoryKeyStore() as any KeyStore
                : try SQLiteKeyStore(path: directory.appendingPathComponent("\(role).sqlite").path)
        }
        var deposited: [String: [StoredKey]] = [:]
        for link in relay.network.links { deposited[link.id] = Self.linkKeys(40, link: link.id) }
        for (link, keys) in deposited { try await relay.deposit(keys, onLink: link) }
        var outcomes: [RelayOutcome] = []
        let sizes = [128, 256, 384, 512, 136]
        while true {
            do {
                outcomes.append(try await relay.relay(from: "A", to: "C", sizeBits: sizes[outcomes.count % sizes.count]))
            } catch let error as QKDError where error.code == .unavailable {
                break
            }
        }
        #expect(outcomes.count >= 20)
        for (hop, link) in ["A-B", "B-C"].enumerated() {
            let pads = outcomes.flatMap { $0.padKeyIDs[hop] }
            #expect(pads == deposited[link]!.prefix(pads.count).map(\.id), "\(link): stored keys in deposit order, each once")
            let left = try await relay.availableBits(onLink: link)
            #expect(left == (40 - pads.count) * 256)
            #expect(left < sizes[outcomes.count % sizes.count], "\(link): the relay stopped for lack of key")
        }
        for outcome in outcomes {
            let atA = try await relay.relayedKeys(node: "A", peer: "C").key(id: outcome.keyID)
            let atC = try await relay.relayedKeys(node: "C", peer: "A").key(id: outcome.keyID)
            #expect(atA != nil && atA?.bytes == atC?.bytes && atA?.bitCount == outcome.sizeBits)
        }
    }

    @Test func noLinkKeyIsEverUsedTwice() async throws {
        let relay = try KeyRelayNetwork(network: try Self.ring())
        try await Self.fill(relay, keysPerLink: 12)
        var outcomes: [RelayOutcome] = []
        let pairs = [("n1", "n3"), ("n2", "n4"), ("n5", "n2"), ("n3", "n5"), ("n4", "n1")]
        relays: for round in 0..<20 {
            let (source, destination) = pairs[round % pairs.count]
            do {
                outcomes.append(try await relay.relay(from: source, to: destination, sizeBits: 256))
            } catch let error as QKDError where error.code == .unavailable {
                break relays
            }
        }
        #expect(outcomes.count >= 10)
        let pads = outcomes.flatMap { $0.padKeyIDs.joined() }
        #expect(Set(pads).count == pads.count)
        for link in relay.network.links {
            let consumed = outcomes.reduce(0) { total, outcome in
                total + zip(outcome.route.links, outcome.consumedBits).filter { $0.0 == link.id }.map(\.1).reduce(0, +)
            }
            #expect(try await relay.availableBits(onLink: link.id) + consumed == 12 * 256)
            let fromCopy = try await relay.linkPool(node: link.from, link: link.id)!.keyIDs()
            let toCopy = try await relay.linkPool(node: link.to, link: link.id)!.keyIDs()
            #expect(fromCopy == toCopy)
        }
    }
}
