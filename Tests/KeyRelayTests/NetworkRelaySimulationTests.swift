import Foundation
import KeyRelay
import QKDCore
import Testing

@Suite("NetworkRelaySimulation")
struct NetworkRelaySimulationTests {
    @Test func aCorridorPairGetsTheBottleneckRateAndTheOtherLinkKeepsTheRest() async throws {
        let corridor = try KeyRelayNetworkTests.corridor()
        let simulation = try NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1000, "B-C": 600])
        let report = try await simulation.run(durationSeconds: 600)
        #expect(simulation.endToEndPairs.map { [$0.from, $0.to] } == [["A", "C"]])
        let pair = try #require(report.pairs.first)
        #expect(pair.routes == ["A -> B -> C": pair.relayedKeys])
        // B-C distils 600 bit/s in whole 256-bit keys: all of it but less than one key is relayed.
        #expect(pair.keyRate <= 600)
        #expect(pair.keyRate > 600 - 256.0 / 600)
        let ab = report.links[0], bc = report.links[1]
        #expect(ab.relayConsumedBits == pair.relayedKeys * 256 && bc.relayConsumedBits == pair.relayedKeys * 256)
        #expect(bc.poolBits < 256)
        #expect(ab.poolBits == ab.distilledBits - ab.relayConsumedBits)
        #expect(abs(Double(ab.poolBits) / 600 - 400) < 1)
    }

    @Test func everyLinkBalancesAndRunsRepeatExactly() async throws {
        let ring = try KeyRelayNetworkTests.ring()
        let named = try NetworkDescription(nodes: ring.nodes.map { .init(id: $0.id, saes: ["SAE_\($0.id)"]) }, links: ring.links)
        let rates = Dictionary(uniqueKeysWithValues: named.links.enumerated().map { ($1.id, 300.0 + 100 * Double($0)) })
        let simulation = try NetworkRelaySimulation(network: named, linkRates: rates)
        let report = try await simulation.run(durationSeconds: 120)
        #expect(report.pairs.count == 5)
        #expect(report.pairs.allSatisfy { $0.relayedKeys > 0 })
        for link in report.links {
            #expect(link.poolBits == link.distilledBits - link.relayConsumedBits)
            #expect(link.poolBits >= 0)
        }
        let relayedHops = report.pairs.reduce(0) { total, pair in
            total + pair.routes.reduce(0) { $0 + $1.value * ($1.key.components(separatedBy: " -> ").count - 1) }
        }
        #expect(report.links.reduce(0) { $0 + $1.relayConsumedBits } == relayedHops * 256)
        #expect(try await simulation.run(durationSeconds: 120) == report)
        #expect(report.outages.isEmpty && report.links.allSatisfy { $0.downSeconds == 0 })
    }

    /// The ring with an SAE at every node (so its five pairs of non-adjacent nodes relay), link
    /// n2-n3 down from 20 s to 40 s, and rates of 600 to 1000 bit/s.
    static func cutRing() throws -> (network: NetworkDescription, rates: [String: Double]) {
        let ring = try KeyRelayNetworkTests.ring()
        let network = try NetworkDescription(
            nodes: ring.nodes.map { .init(id: $0.id, saes: ["SAE_\($0.id)"]) }, links: ring.links,
            outages: [LinkOutage(link: "n2-n3", downAtSeconds: 20, upAtSeconds: 40)])
        return (network, Dictionary(uniqueKeysWithValues: network.links.enumerated().map { ($1.id, 600.0 + 100 * Double($0)) }))
    }

    @Test func aDownLinkDistilsNothingCarriesNoRelayAndItsPairsReroute() async throws {
        let (network, rates) = try Self.cutRing()
        let report = try await NetworkRelaySimulation(network: network, linkRates: rates).run(durationSeconds: 60)
        let cut = try #require(report.links.first { $0.id == "n2-n3" })
        #expect(cut.downSeconds == 20)
        // 40 s up at 700 bit/s is 28 000 bits, 109 whole 256-bit keys (the fraction carries over the outage).
        #expect(cut.distilledBits == Int(700.0 * 40 / 256) * 256)
        let outage = try #require(report.outages.first)
        #expect(outage.link == "n2-n3" && outage.downAtSeconds == 20 && outage.upAtSeconds == 40)
        #expect(!outage.reroutes.isEmpty)
        for reroute in outage.reroutes {
            #expect(reroute.routeBefore.contains("n2 -> n3") || reroute.routeBefore.contains("n3 -> n2"))
            #expect(reroute.routesWhileDown.values.reduce(0, +) > 0, "\(reroute)")
            #expect(reroute.routesWhileDown.keys.allSatisfy { !$0.contains("n2 -> n3") && !$0.contains("n3 -> n2") })
        }
        // Without the outage the link distils all 60 s.
        let uncut = try NetworkDescription(nodes: network.nodes, links: network.links)
        let steady = try await NetworkRelaySimulation(network: uncut, linkRates: rates).run(durationSeconds: 60)
        #expect(steady.outages.isEmpty)
        #expect(steady.links.first { $0.id == "n2-n3" }!.distilledBits > cut.distilledBits)
    }

    @Test func cuttingARingLinkDuringARunReroutesAndEveryDeliveredKeyIsIdenticalAtBothEnds() async throws {
        let (network, rates) = try Self.cutRing()
        let relays = try KeyRelayNetwork(network: network)
        let report = try await NetworkRelaySimulation(network: network, linkRates: rates)
            .run(durationSeconds: 60, relayingThrough: relays, seed: 7)
        let outage = try #require(report.outages.first)
        #expect(!outage.reroutes.isEmpty)
        for reroute in outage.reroutes {
            #expect(reroute.routesWhileDown.values.reduce(0, +) > 0)
            #expect(reroute.routesWhileDown.keys.allSatisfy { !$0.contains("n2 -> n3") && !$0.contains("n3 -> n2") })
        }
        #expect(report.pairs.allSatisfy { $0.relayedKeys > 0 })
        for pair in report.pairs {
            let atSource = try await relays.relayedKeys(node: pair.from, peer: pair.to)
            let atDestination = try await relays.relayedKeys(node: pair.to, peer: pair.from)
            let ids = try atSource.keyIDs()
            #expect(ids.count == pair.relayedKeys)
            #expect(ids == (try atDestination.keyIDs()))
            for id in ids {
                let sent = try #require(try atSource.key(id: id)), received = try #require(try atDestination.key(id: id))
                #expect(sent.bytes == received.bytes && sent.bytes.count == 32)
            }
        }
        // The relay network's pools hold what the report says is left.
        for link in report.links {
            #expect(try await relays.availableBits(onLink: link.id) == link.poolBits)
            #expect(link.poolBits == link.distilledBits - link.relayConsumedBits)
        }
    }

    @Test func badInputsAreNamed() async throws {
        let corridor = try KeyRelayNetworkTests.corridor()
        #expect(throws: QKDError(.invalidParameter, "link \"B-C\" needs a finite, non-negative secret key rate, got none")) {
            try NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1])
        }
        await #expect(throws: QKDError(.invalidParameter, "duration 0.0 s must be positive")) {
            try await NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1, "B-C": 1]).run(durationSeconds: 0)
        }
        let other = try KeyRelayNetwork(network: try KeyRelayNetworkTests.ring())
        await #expect(throws: QKDError(.invalidParameter, "the relay network's nodes and links differ from the simulated network's")) {
            try await NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1, "B-C": 1])
                .run(durationSeconds: 10, relayingThrough: other, seed: 1)
        }
        let filled = try KeyRelayNetwork(network: corridor)
        try await filled.deposit(KeyRelayNetworkTests.linkKeys(1, link: "B-C"), onLink: "B-C")
        await #expect(throws: QKDError(.invalidParameter, "link \"B-C\" already holds key in the relay network; the run starts from empty pools")) {
            try await NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1, "B-C": 1])
                .run(durationSeconds: 10, relayingThrough: filled, seed: 1)
        }
    }
}
