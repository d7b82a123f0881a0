import ArgumentParser
import Foundation
import KeyRelay
import QKDCore
import QKDNode

/// `qkd network run`: every link of a network at its analytic secret key rate, its pools, and
/// the keys relayed between end nodes that share no link.
struct NetworkRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Simulate a network's links, key pools and relays; report rates per link and per end-to-end pair.",
        discussion: """
            Each link's secret key rate is the finite-key rate of the analytic link model for its \
            preset at its length (as `qkd simulate`). Pools fill at those rates; every pair of \
            nodes with SAEs and no direct link relays 256-bit keys greedily over the route with \
            the most key (weight 1/pool per link), each relayed key using 256 bits of every link \
            on its route. The network file is described in the README (section "Networks and key \
            relay"); examples are in examples/networks/.

            Examples:
              qkd network run --config examples/networks/corridor-240km.json --duration 1h
              qkd network run --config examples/networks/metro-ring.json --duration 10m --json
            """
    )

    @Option(help: ArgumentHelp("Network description (JSON).", valueName: "file"))
    var config: String

    @Option(help: "Network time to simulate, e.g. 90s, 10m, 1h.")
    var duration: String = "1h"

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let network = try NetworkDescription.load(path: config)
        let durationSeconds = try DurationParser.seconds(duration)
        var rates: [String: Double] = [:]
        for link in network.links {
            guard link.parameters.isEmpty else {
                throw QKDError(.invalidParameter, "link \"\(link.id)\": parameter overrides are not supported by `qkd network run` yet")
            }
            let configuration = try PresetCatalog.configuration(named: link.preset)
            let point = try KeyRateStudy(configuration: configuration).run(sweep: SweepSpecification(parsing: "distance=\(link.lengthKm)"))[0]
            rates[link.id] = point.noKeyReason == nil ? max(0, point.secretKeyRate) : 0
        }
        let report = try NetworkRelaySimulation(network: network, linkRates: rates).run(durationSeconds: durationSeconds)
        if json {
            try printJSON(report)
        } else {
            print(Self.text(report, network: network, name: config))
        }
    }

    /// The link of least rate on the route that carried most of `pair`'s keys.
    static func bottleneck(
        of pair: NetworkRelaySimulation.PairReport, report: NetworkRelaySimulation.Report, network: NetworkDescription
    ) -> NetworkRelaySimulation.LinkReport? {
        guard let main = pair.routes.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else { return nil }
        let onRoute = links(of: main, in: network)
        return report.links.filter { onRoute.contains($0.id) }.min { $0.secretKeyRate < $1.secretKeyRate }
    }

    /// The IDs of the links joining consecutive nodes of `route` ("A -> B -> C").
    static func links(of route: String, in network: NetworkDescription) -> [String] {
        let hops = route.components(separatedBy: " -> ")
        return zip(hops, hops.dropFirst()).compactMap { from, to in
            network.links.first { $0.touches(from) && $0.touches(to) }?.id
        }
    }

    /// `bits` over `seconds`, as "12.3 bit/s".
    static func rate(_ bits: Int, over seconds: Double) -> String {
        String(format: "%.1f bit/s", Double(bits) / seconds)
    }

    /// The report as text: per link, then per end-to-end pair with its bottleneck link's rate split up.
    static func text(_ report: NetworkRelaySimulation.Report, network: NetworkDescription, name: String) -> String {
        let seconds = report.durationSeconds
        var lines = [
            "network \(name): \(String(format: "%g", seconds)) s of network time, keys of \(report.keySizeBits) bits",
            "link rates: finite-key secret key rate of the analytic link model for each link's preset and length",
            "",
            "links",
        ]
        for link in report.links {
            let described = network.links.first { $0.id == link.id }!
            lines.append(
                "  \(link.id) (\(String(format: "%g", described.lengthKm)) km, \(described.preset)): "
                    + "secret key rate \(String(format: "%.1f", link.secretKeyRate)) bit/s, "
                    + "relaying used \(rate(link.relayConsumedBits, over: seconds)), "
                    + "left for direct keys \(rate(link.distilledBits - link.relayConsumedBits, over: seconds)) "
                    + "(pool at the end \(link.poolBits) bits)")
        }
        lines.append("")
        lines.append(report.pairs.isEmpty ? "no end-to-end pairs: every pair of nodes with SAEs shares a link" : "end-to-end pairs (relayed keys)")
        for pair in report.pairs {
            let routes = pair.routes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            lines.append(
                "  \(pair.from) <-> \(pair.to): \(String(format: "%.1f", pair.keyRate)) bit/s (\(pair.relayedKeys) keys; "
                    + routes.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")")
            guard let bottleneck = bottleneck(of: pair, report: report, network: network) else { continue }
            let through = pair.routes.filter { route in Self.links(of: route.key, in: network).contains(bottleneck.id) }.values.reduce(0, +)
            let pairBits = through * report.keySizeBits
            let otherBits = bottleneck.relayConsumedBits - pairBits
            let roundingRate = bottleneck.secretKeyRate - Double(bottleneck.distilledBits) / seconds
            lines.append(
                "    bottleneck link \(bottleneck.id): \(String(format: "%.1f", bottleneck.secretKeyRate)) bit/s = "
                    + "\(rate(pairBits, over: seconds)) relayed for this pair + \(rate(otherBits, over: seconds)) relayed for other pairs + "
                    + "\(rate(bottleneck.poolBits, over: seconds)) left for direct keys + \(String(format: "%.1f", roundingRate)) bit/s not yet a whole key")
            lines.append(
                "    (each relayed key uses as many bits of every link on its route as it has; this pair's "
                    + "\(String(format: "%.1f", pair.keyRate)) bit/s = \(rate(pairBits, over: seconds)) through \(bottleneck.id) + "
                    + "\(rate((pair.relayedKeys - through) * report.keySizeBits, over: seconds)) over routes avoiding it)")
        }
        return lines.joined(separator: "\n")
    }
}
