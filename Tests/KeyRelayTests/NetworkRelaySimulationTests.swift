import Foundation
import KeyRelay
import QKDCore
import Testing

@Suite("NetworkRelaySimulation")
struct NetworkRelaySimulationTests {
    @Test func aCorridorPairGetsTheBottleneckRateAndTheOtherLinkKeepsTheRest() throws {
        let corridor = try KeyRelayNetworkTests.corridor()
        let simulation = try NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1000, "B-C": 600])
        let report = try simulation.run(durationSeconds: 600)
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

    @Test func everyLinkBalancesAndRunsRepeatExactly() throws {
        let ring = try KeyRelayNetworkTests.ring()
        let named = try NetworkDescription(nodes: ring.nodes.map { .init(id: $0.id, saes: ["SAE_\($0.id)"]) }, links: ring.links)
        let rates = Dictionary(uniqueKeysWithValues: named.links.enumerated().map { ($1.id, 300.0 + 100 * Double($0)) })
        let simulation = try NetworkRelaySimulation(network: named, linkRates: rates)
        let report = try simulation.run(durationSeconds: 120)
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
        #expect(try simulation.run(durationSeconds: 120) == report)
    }

    @Test func badInputsAreNamed() throws {
        let corridor = try KeyRelayNetworkTests.corridor()
        #expect(throws: QKDError(.invalidParameter, "link \"B-C\" needs a finite, non-negative secret key rate, got none")) {
            try NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1])
        }
        #expect(throws: QKDError(.invalidParameter, "duration 0.0 s must be positive")) {
            try NetworkRelaySimulation(network: corridor, linkRates: ["A-B": 1, "B-C": 1]).run(durationSeconds: 0)
        }
    }
}
