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

            With --processes the network runs as real processes instead: per link a `qkd optics` \
            and two `qkd node` processes (each node's key store an SQLite file), per node a `qkd \
            kme serve` with the relay configuration of `qkd pki init --network` reading those \
            stores. While the links run, and after they end until no route has key, the run asks \
            each pair's master KME for 256-bit keys through ETSI GS QKD 014, fetches each from \
            the slave's KME and compares the two; it reports the same figures, measured (link \
            rates from Bob's block reports, pools from the stores, routes from the KMEs' audit \
            logs), and where each process's log is. --duration is then link time that the optics \
            emulate as fast as the nodes distil it (no accelerated mode): a run takes as long as \
            the machine needs. Progress goes to standard error every 10 s. Everything is written \
            under --run-dir (default: a temporary folder, removed at the end unless \
            --keep-run-dir). A process that fails to start or dies stops the run with its name \
            and the end of its log; SIGINT, SIGTERM and errors stop every process.

            Examples:
              qkd network run --config examples/networks/corridor-240km.json --duration 1h
              qkd network run --config examples/networks/corridor-240km.json --duration 10m --processes --run-dir corridor-run
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

    @Flag(help: "Run every link as `qkd optics` and two `qkd node` processes and every node's KME as `qkd kme serve`; relay keys through ETSI GS QKD 014.")
    var processes = false

    @Option(help: ArgumentHelp("With --processes: folder for the stores, PKI and logs (new or empty; kept).", valueName: "dir"))
    var runDir: String?

    @Flag(help: "With --processes: keep the temporary run folder (stores, PKI, logs) at the end.")
    var keepRunDir = false

    @Option(help: "With --processes: seed of the first link's optics (link i uses seed + i; default 1).")
    var seed: UInt64?

    @Option(help: "With --processes: secret bits of each block the nodes reserve for authentication (multiple of 128; default \(NodeSettings.defaultAuthenticationReserveBits)).")
    var reserveBits: Int?

    @Option(help: "With --processes: seconds a node waits for its peer while blocks are in flight (`qkd node --peer-timeout`; default \(NodeSettings.defaultPeerSilenceLimit)).")
    var peerTimeout: Double?

    func validate() throws {
        if !processes {
            let given = [(runDir != nil, "--run-dir"), (keepRunDir, "--keep-run-dir"), (seed != nil, "--seed"), (reserveBits != nil, "--reserve-bits"),
                         (peerTimeout != nil, "--peer-timeout")]
            for (given, option) in given where given {
                throw ValidationError("\(option) needs --processes")
            }
        } else if !cuts.isEmpty {
            throw ValidationError("--cut needs the in-process mode (without --processes)")
        }
    }

    func run() throws {
        let described = try NetworkDescription.load(path: config)
        if processes {
            try runProcesses(described)
            return
        }
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

    /// `--processes`: the network as processes (``NetworkProcessRun``).
    private func runProcesses(_ network: NetworkDescription) throws {
        guard network.outages.isEmpty else {
            throw QKDError(.invalidParameter, "network \(config) has outages, which need the in-process mode (without --processes)")
        }
        for link in network.links {
            do {
                _ = try NetworkLinkModel.configuration(of: link)
            } catch let error as QKDError {
                throw QKDError(error.code, "network \(config): \(error.message)")
            }
        }
        let run = NetworkProcessRun(
            network: network, name: config, duration: duration, durationSeconds: try DurationParser.seconds(duration), seed: seed ?? 1,
            runFolder: runDir, keepRunFolder: keepRunDir, reserveBits: reserveBits ?? NodeSettings.defaultAuthenticationReserveBits,
            peerTimeout: peerTimeout ?? NodeSettings.defaultPeerSilenceLimit)
        let outcome = try run.run()
        if json {
            try printJSON(outcome)
            return
        }
        print(Self.text(outcome.report, network: network, name: config, lostBits: outcome.lostBits))
        print("")
        print("processes: every link as qkd optics + two qkd node, every node's KME as qkd kme serve; "
            + String(format: "%.0f s of wall time for %g s of link time", outcome.wallSeconds, outcome.report.durationSeconds))
        print("relayed keys fetched from both end KMEs (ETSI GS QKD 014): \(outcome.keysIdentical) identical, \(outcome.keysDiffering) differing; "
            + "\(outcome.requestsRefused) requests refused with 503 (no route had enough key, or a relay failed on the way)")
        if outcome.runFolderKept {
            print("run folder \(outcome.runFolder): pki/ (certificates, KME configurations, link stores, audit logs), links/, logs/")
            for (name, path) in outcome.logs.sorted(by: { $0.key < $1.key }) { print("  \(name) log: \(path)") }
        } else {
            print("run folder \(outcome.runFolder) removed with the stores and logs (keep it with --keep-run-dir or --run-dir DIR)")
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
    /// With `lostBits` (the process mode), the rates are measured and each link's key lost in
    /// failed relays is a term of its own.
    static func text(_ report: NetworkRelaySimulation.Report, network: NetworkDescription, name: String, lostBits: [String: Int]? = nil) -> String {
        let seconds = report.durationSeconds
        var lines = [
            "network \(name): \(String(format: "%g", seconds)) s of network time, keys of \(report.keySizeBits) bits",
            lostBits == nil
                ? "link rates: finite-key secret key rate of the analytic link model for each link's preset, length and parameters"
                : "link rates: key the link's two qkd node processes distilled and stored (Bob's block reports), over the link time",
            "",
            "links",
        ]
        for link in report.links {
            let described = network.links.first { $0.id == link.id }!
            let overrides = described.parameters.sorted { $0.key < $1.key }.map { ", \($0.key)=\(String(format: "%g", $0.value))" }.joined()
            let downtime = link.downSeconds > 0 ? ", down \(String(format: "%g", link.downSeconds)) s" : ""
            let lost = lostBits?[link.id] ?? 0
            lines.append(
                "  \(link.id) (\(String(format: "%g", described.lengthKm)) km, \(described.preset)\(overrides)\(downtime)): "
                    + "secret key rate \(String(format: "%.1f", link.secretKeyRate)) bit/s, "
                    + "relaying used \(rate(link.relayConsumedBits, over: seconds)), "
                    + (lost != 0 ? "pads lost in failed relays \(rate(lost, over: seconds)), " : "")
                    + "left for direct keys \(rate(link.distilledBits - link.relayConsumedBits - lost, over: seconds)) "
                    + "(pool at the end \(link.poolBits) bits)")
        }
        lines.append("")
        lines.append(report.pairs.isEmpty ? "no end-to-end pairs: every pair of nodes with SAEs shares a link" : "end-to-end pairs (relayed keys)")
        for pair in report.pairs {
            let routes = pair.routes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            lines.append(
                "  \(pair.from) <-> \(pair.to): \(String(format: "%.1f", pair.keyRate)) bit/s (\(pair.relayedKeys) keys"
                    + (routes.isEmpty ? "" : "; " + routes.map { "\($0.key): \($0.value)" }.joined(separator: ", ")) + ")")
            guard let bottleneck = bottleneck(of: pair, report: report, network: network) else { continue }
            let through = pair.routes.filter { route in Self.links(of: route.key, in: network).contains(bottleneck.id) }.values.reduce(0, +)
            let pairBits = through * report.keySizeBits
            let otherBits = bottleneck.relayConsumedBits - pairBits
            let downRate = bottleneck.secretKeyRate * bottleneck.downSeconds / seconds
            let downTerm = bottleneck.downSeconds > 0 ? " + \(String(format: "%.1f", downRate)) bit/s not distilled while down" : ""
            let rest: String
            if let lostBits {
                rest = " + \(rate(lostBits[bottleneck.id] ?? 0, over: seconds)) pads lost in failed relays"
            } else {
                let roundingRate = bottleneck.secretKeyRate - Double(bottleneck.distilledBits) / seconds - downRate
                rest = " + \(String(format: "%.1f", roundingRate)) bit/s not yet a whole key"
            }
            lines.append(
                "    bottleneck link \(bottleneck.id): \(String(format: "%.1f", bottleneck.secretKeyRate)) bit/s = "
                    + "\(rate(pairBits, over: seconds)) relayed for this pair + \(rate(otherBits, over: seconds)) relayed for other pairs + "
                    + "\(rate(bottleneck.poolBits, over: seconds)) left for direct keys\(downTerm)\(rest)")
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
