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
            preset at its length, with its `parameters` overriding the preset's as in a \
            configuration file (as `qkd simulate --config`). Pools fill at those rates; every \
            pair of nodes with SAEs and no direct link relays 256-bit keys greedily over the \
            route with the most key (weight 1/pool per link), each relayed key using 256 bits of \
            every link on its route. A link that is down (the file's `outages`, or --cut) distils \
            no key and carries no relay; relays route around it and the report lists, per \
            outage, the pairs that were relaying over it and where their keys went instead. The \
            network file is described in the README (section "Networks and key relay"); examples \
            are in examples/networks/.

            Examples:
              qkd network run --config examples/networks/corridor-240km.json --duration 1h
              qkd network run --config examples/networks/metro-ring.json --duration 10m --json
              qkd network run --config examples/networks/metro-ring.json --duration 1h --cut n2-n3@20m-40m
            """
    )

    @Option(help: ArgumentHelp("Network description (JSON).", valueName: "file"))
    var config: String

    @Option(help: "Network time to simulate, e.g. 90s, 10m, 1h.")
    var duration: String = "1h"

    @Option(
        name: .customLong("cut"),
        help: ArgumentHelp(
            "Take a link down during the run: LINK@DOWN (to the end) or LINK@DOWN-UP, e.g. n2-n3@20m or n2-n3@20m-40m; repeatable.",
            valueName: "link@time"))
    var cuts: [String] = []

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let described = try NetworkDescription.load(path: config)
        let cutOutages = try cuts.map(Self.outage(parsing:))
        for (cut, outage) in zip(cuts, cutOutages) where !described.links.contains(where: { $0.id == outage.link }) {
            throw QKDError(
                .invalidParameter,
                "--cut \"\(cut)\": network \(config) has no link \"\(outage.link)\" (links: \(described.links.map(\.id).joined(separator: ", ")))")
        }
        let network = try described.adding(outages: cutOutages)
        let durationSeconds = try DurationParser.seconds(duration)
        var rates: [String: Double] = [:]
        for link in network.links {
            do {
                rates[link.id] = try NetworkLinkModel.secretKeyRate(of: link)
            } catch let error as QKDError {
                throw QKDError(error.code, "network \(config): \(error.message)")
            }
        }
        let simulation = try NetworkRelaySimulation(network: network, linkRates: rates)
        let report = try AsyncBridge.run { try await simulation.run(durationSeconds: durationSeconds) }
        if json {
            try printJSON(report)
        } else {
            print(Self.text(report, network: network, name: config))
        }
    }

    /// The outage `--cut` gives: `LINK@DOWN` or `LINK@DOWN-UP`, times as durations from the start
    /// (`0` for the start). Throws `QKDError` `.invalidParameter` naming the argument.
    static func outage(parsing text: String) throws -> LinkOutage {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex else {
            throw QKDError(.invalidParameter, "--cut \"\(text)\" is not like LINK@20m or LINK@20m-40m")
        }
        let times = text[text.index(after: at)...].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard times.count <= 2, let down = times.first else {
            throw QKDError(.invalidParameter, "--cut \"\(text)\" is not like LINK@20m or LINK@20m-40m")
        }
        func seconds(_ time: String) throws -> Double {
            if time == "0" || time == "0s" { return 0 }
            do {
                return try DurationParser.seconds(time)
            } catch let error as QKDError {
                throw QKDError(.invalidParameter, "--cut \"\(text)\": \(error.message)")
            }
        }
        let downAt = try seconds(down)
        let upAt = try times.count == 2 ? seconds(times[1]) : nil
        if let upAt, upAt <= downAt {
            throw QKDError(.invalidParameter, "--cut \"\(text)\": the link must come back up after it goes down")
        }
        return LinkOutage(link: String(text[..<at]), downAtSeconds: downAt, upAtSeconds: upAt)
    }

    /// The link that distilled least (the least rate, unless outages took more from another) on
    /// the route that carried most of `pair`'s keys.
    static func bottleneck(
        of pair: NetworkRelaySimulation.PairReport, report: NetworkRelaySimulation.Report, network: NetworkDescription
    ) -> NetworkRelaySimulation.LinkReport? {
        guard let main = pair.routes.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else { return nil }
        let onRoute = links(of: main, in: network)
        return report.links.filter { onRoute.contains($0.id) }.min { ($0.distilledBits, $0.secretKeyRate) < ($1.distilledBits, $1.secretKeyRate) }
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

    /// The report as text: per link, then per end-to-end pair with its bottleneck link's rate
    /// split up, then per outage the pairs it rerouted.
    static func text(_ report: NetworkRelaySimulation.Report, network: NetworkDescription, name: String) -> String {
        let seconds = report.durationSeconds
        var lines = [
            "network \(name): \(String(format: "%g", seconds)) s of network time, keys of \(report.keySizeBits) bits",
            "link rates: finite-key secret key rate of the analytic link model for each link's preset, length and parameters",
            "",
            "links",
        ]
        for link in report.links {
            let described = network.links.first { $0.id == link.id }!
            let overrides = described.parameters.sorted { $0.key < $1.key }.map { ", \($0.key)=\(String(format: "%g", $0.value))" }.joined()
            let downtime = link.downSeconds > 0 ? ", down \(String(format: "%g", link.downSeconds)) s" : ""
            lines.append(
                "  \(link.id) (\(String(format: "%g", described.lengthKm)) km, \(described.preset)\(overrides)\(downtime)): "
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
            let downRate = bottleneck.secretKeyRate * bottleneck.downSeconds / seconds
            let roundingRate = bottleneck.secretKeyRate - Double(bottleneck.distilledBits) / seconds - downRate
            let downTerm = bottleneck.downSeconds > 0 ? " + \(String(format: "%.1f", downRate)) bit/s not distilled while down" : ""
            lines.append(
                "    bottleneck link \(bottleneck.id): \(String(format: "%.1f", bottleneck.secretKeyRate)) bit/s = "
                    + "\(rate(pairBits, over: seconds)) relayed for this pair + \(rate(otherBits, over: seconds)) relayed for other pairs + "
                    + "\(rate(bottleneck.poolBits, over: seconds)) left for direct keys\(downTerm) + "
                    + "\(String(format: "%.1f", roundingRate)) bit/s not yet a whole key")
            lines.append(
                "    (each relayed key uses as many bits of every link on its route as it has; this pair's "
                    + "\(String(format: "%.1f", pair.keyRate)) bit/s = \(rate(pairBits, over: seconds)) through \(bottleneck.id) + "
                    + "\(rate((pair.relayedKeys - through) * report.keySizeBits, over: seconds)) over routes avoiding it)")
        }
        if !report.outages.isEmpty {
            lines.append("")
            lines.append("outages (a link that is down distils no key and carries no relay; relays route around it)")
        }
        for outage in report.outages {
            let until = outage.upAtSeconds.map { "to \(String(format: "%g", $0)) s" } ?? "to the end"
            lines.append("  \(outage.link) down from \(String(format: "%g", outage.downAtSeconds)) s \(until):")
            if outage.reroutes.isEmpty { lines.append("    no pair was relaying over it") }
            for reroute in outage.reroutes {
                let routes = reroute.routesWhileDown.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                let during = routes.isEmpty
                    ? "while down no route had key: none relayed"
                    : "while down " + routes.map { "\($0.value) keys over \($0.key)" }.joined(separator: ", ")
                lines.append("    \(reroute.from) <-> \(reroute.to): was relaying over \(reroute.routeBefore); \(during)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
