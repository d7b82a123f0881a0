import Foundation
import KeyManagement
import KeyManagementServer
import KeyRelay
import QKDCore
import QKDNode

/// `qkd network run --processes`: the network as separate processes of this executable, each
/// link a `qkd optics` and two `qkd node` processes, each node's key store an SQLite file, and a
/// `qkd kme serve` per network node (the relay configuration of `qkd pki init --network`) reading
/// those stores. The run asks each end-to-end pair's master KME for keys through ETSI GS QKD 014
/// (relayed across the trusted nodes), fetches each key from the slave's KME by its ID, compares
/// the two, and measures the links' figures from the nodes' block reports, the stores and the
/// KMEs' audit logs.
///
/// Time: `qkd optics` emulates `duration` of link time as fast as the two nodes read it (the
/// nodes have no faster, analytic mode), so a run takes as long as the machine needs to emulate
/// and distil that link time, not the link time itself; every rate is per second of link time.
struct NetworkProcessRun {
    /// The network.
    var network: NetworkDescription
    /// The network file, as named on the command line.
    var name: String
    /// The link time, as given on the command line (passed to every `qkd optics`).
    var duration: String
    /// The same in seconds.
    var durationSeconds: Double
    /// Seed of the first link's optics; link i gets seed + i.
    var seed: UInt64
    /// The folder for everything the run writes; nil: a new folder in the temporary directory.
    var runFolder: String?
    /// Whether to keep the default folder at the end (a folder given is always kept).
    var keepRunFolder: Bool
    /// Secret bits of each block the nodes reserve for authentication (`qkd node --reserve-bits`).
    var reserveBits: Int
    /// Seconds a node waits for its peer while blocks are in flight (`qkd node --peer-timeout`).
    var peerTimeout: Double
    /// Wall seconds between progress lines on standard error.
    var progressSeconds: Double = 10

    /// The size of the relayed keys, in bits.
    static let keySizeBits = 256
    /// Seconds a process may take to report its port.
    private static let startPatience = 60.0
    /// Wall seconds one round of key requests may take before the run checks its processes again.
    private static let roundSeconds = 5.0

    /// The run's figures: the same as the in-process mode's, measured, and where everything went.
    struct Outcome: Encodable {
        /// Per link and per end-to-end pair, as `qkd network run` without `--processes` reports them.
        let report: NetworkRelaySimulation.Report
        /// Per link, the key distilled but neither relayed nor left in the pool: pads of relays
        /// that failed after taking them (HTTP 503), in bits.
        let lostBits: [String: Int]
        /// Relayed keys fetched from both end KMEs and found identical.
        let keysIdentical: Int
        /// Relayed keys whose two copies differed (0 unless something is broken).
        let keysDiffering: Int
        /// Key requests the master KMEs refused with 503 (no route had enough key, or a relay failed).
        let requestsRefused: Int
        /// Wall-clock seconds the run took.
        let wallSeconds: Double
        /// The run folder.
        let runFolder: String
        /// Whether it was kept (else it was removed, logs included).
        let runFolderKept: Bool
        /// Each process's log (its standard error), by process name.
        let logs: [String: String]
    }

    /// One end-to-end pair's ETSI GS QKD 014 clients.
    private struct PairClients: Sendable {
        let from: String
        let to: String
        let master: String
        let slave: String
        let masterKME: KMEClient
        let slaveKME: KMEClient
    }

    /// What the requests obtained so far.
    private struct Deliveries: Sendable {
        var keyIDs: [String: [String]] = [:]
        var identical = 0
        var differing = 0
        var refused = 0
    }

    /// One link's processes and store copies.
    private struct LinkProcesses {
        let link: NetworkDescription.Link
        let optics: ChildProcess
        let alice: ChildProcess
        let bob: ChildProcess
        let stores: [SQLiteKeyDeliveryStore]
        let reportsPath: String
        let keySizeBits: Int
    }

    /// Runs every process to the end of the link time, relays keys meanwhile and after, stops
    /// every process and returns the figures. Throws a `QKDError` naming the process that failed
    /// to start or died (with the tail of its log), or the signal that interrupted the run; every
    /// child process is stopped whatever happens.
    func run() throws -> Outcome {
        let started = Date()
        let folder = try prepareFolder()
        let keep = keepsFolder
        let signals = InterruptSignals()
        var children: [ChildProcess] = []
        defer {
            for child in children.reversed() { child.stopAndWait() }
            signals.restore()
            if !keep { try? FileManager.default.removeItem(atPath: folder) }
        }
        let pkiFolder = (folder as NSString).appendingPathComponent("pki")
        let logFolder = (folder as NSString).appendingPathComponent("logs")
        let linkFolder = (folder as NSString).appendingPathComponent("links")
        for path in [logFolder, linkFolder] { try Self.createFolder(path) }
        let firstPort = try FreePorts.consecutive(count: network.nodes.count)
        _ = try DevelopmentPKI.createNetwork(in: pkiFolder, network: network, port: firstPort)

        var links: [LinkProcesses] = []
        for (index, link) in network.links.enumerated() {
            let linkProcesses = try startLink(link, seed: seed &+ UInt64(index), pkiFolder: pkiFolder, linkFolder: linkFolder, logFolder: logFolder) {
                children.append($0)
            }
            links.append(linkProcesses)
        }
        for node in network.nodes {
            let kme = try ChildProcess(["kme", "serve", "--config", (pkiFolder as NSString).appendingPathComponent(DevelopmentPKI.configurationFile(node: node.id))],
                                     name: "kme-\(node.id)", folder: logFolder)
            children.append(kme)
            _ = try awaitNumber(after: "listening on https://127.0.0.1:", from: kme)
        }
        let kmes = children.filter { $0.name.hasPrefix("kme-") }
        let pairs = try pairClients(pkiFolder: pkiFolder, firstPort: firstPort)

        var deliveries = Deliveries()
        var lastProgress = Date()
        while true {
            if let signal = signals.raised {
                throw QKDError(.unavailable, "\(signal): stopped every process of the run\(keep ? "; its files are in \(folder)" : "")")
            }
            let failed = {
                children.first { child in
                    guard let status = child.exitStatus else { return false }
                    return status != 0 || kmes.contains { kme in kme === child }
                }
            }
            if let failed = failed() { throw failure(of: failed) }
            let linksDone = links.allSatisfy { !$0.optics.isRunning && !$0.alice.isRunning && !$0.bob.isRunning }
            let round: (deliveries: Deliveries, exhausted: Bool)
            do {
                round = try Self.requestKeys(for: pairs, adding: deliveries, signals: signals)
            } catch {
                Thread.sleep(forTimeInterval: 0.5)
                throw failed().map(failure(of:)) ?? error
            }
            deliveries = round.deliveries
            if linksDone, round.exhausted { break }
            if Date().timeIntervalSince(lastProgress) >= progressSeconds {
                lastProgress = Date()
                progress(links: links, deliveries: deliveries, since: started)
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        for kme in kmes { kme.stopAndWait() }
        return try outcome(
            links: links, deliveries: deliveries, pkiFolder: pkiFolder, folder: folder, keep: keep,
            wallSeconds: Date().timeIntervalSince(started), logs: children)
    }

    /// Whether the run folder stays after the run.
    private var keepsFolder: Bool { keepRunFolder || runFolder != nil }

    // MARK: - Start-up

    /// The run folder, created: the given one (absolute, new or empty) or a new temporary one.
    private func prepareFolder() throws -> String {
        guard let runFolder else {
            let folder = (NSTemporaryDirectory() as NSString).appendingPathComponent("qkd-network-run-\(UUID().uuidString)")
            try Self.createFolder(folder)
            return folder
        }
        let folder = URL(fileURLWithPath: runFolder).standardizedFileURL.path
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: folder), !contents.isEmpty {
            throw QKDError(.invalidParameter, "--run-dir \(runFolder) is not empty; give a new or empty folder")
        }
        try Self.createFolder(folder)
        return folder
    }

    private static func createFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw QKDError(.storage, "cannot create the folder \(path)")
        }
    }

    /// Writes the link's configuration file and bootstrap key, creates both ends' key stores (the
    /// KMEs' copies of the link's pool, `pki/kme-NODE-link-LINK.sqlite`), and starts its optics,
    /// Alice (at `from`) and Bob (at `to`), handing each process to `started` as soon as it runs.
    private func startLink(
        _ link: NetworkDescription.Link, seed: UInt64, pkiFolder: String, linkFolder: String, logFolder: String,
        started: (ChildProcess) -> Void
    ) throws -> LinkProcesses {
        let configurationPath = (linkFolder as NSString).appendingPathComponent("\(link.id).json")
        let bootstrapPath = (linkFolder as NSString).appendingPathComponent("\(link.id)-boot.key")
        let reportsPath = (linkFolder as NSString).appendingPathComponent("\(link.id)-bob-blocks.json")
        let keySizeBits: Int
        do {
            keySizeBits = try NetworkLinkModel.configuration(of: link).postProcessing.keySize
            var generator = SystemRandomNumberGenerator()
            try NetworkLinkModel.document(of: link).write(to: URL(fileURLWithPath: configurationPath))
            try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: bootstrapPath))
        } catch let error as QKDError {
            throw QKDError(error.code, "network \(name): \(error.message)")
        } catch {
            throw QKDError(.storage, "cannot write the files of link \(link.id) in \(linkFolder)")
        }
        let storePaths = [link.from, link.to].map {
            (pkiFolder as NSString).appendingPathComponent(DevelopmentPKI.linkStoreFile(node: $0, link: link.id))
        }
        let stores = try storePaths.map(SQLiteKeyDeliveryStore.init(path:))
        let optics = try ChildProcess(["optics", "--config", configurationPath, "--duration", duration, "--seed", String(seed)],
                                    name: "optics-\(link.id)", folder: logFolder)
        started(optics)
        let alicePort = try awaitNumber(after: "alice port ", from: optics)
        let bobPort = try awaitNumber(after: "bob port ", from: optics)
        let common = ["--config", configurationPath, "--bootstrap-key", bootstrapPath, "--reserve-bits", String(reserveBits),
                      "--peer-timeout", String(peerTimeout)]
        let alice = try ChildProcess(
            ["node", "--role", "alice", "--peer", "127.0.0.1:0", "--optics", "127.0.0.1:\(alicePort)", "--store", storePaths[0]] + common,
            name: "alice-\(link.id)", folder: logFolder)
        started(alice)
        let peerPort = try awaitNumber(after: "listening on port ", from: alice)
        let bob = try ChildProcess(
            ["node", "--role", "bob", "--peer", "127.0.0.1:\(peerPort)", "--optics", "127.0.0.1:\(bobPort)", "--store", storePaths[1],
             "--reports", reportsPath] + common,
            name: "bob-\(link.id)", folder: logFolder)
        started(bob)
        return LinkProcesses(link: link, optics: optics, alice: alice, bob: bob, stores: stores, reportsPath: reportsPath, keySizeBits: keySizeBits)
    }

    /// The number the process prints after `marker` once it is ready; a process that exits or
    /// stays silent for a minute is an error naming it, with its log tail.
    private func awaitNumber(after marker: String, from child: ChildProcess) throws -> Int {
        do {
            return try child.number(after: marker, patience: Self.startPatience)
        } catch {
            let how = child.ending ?? "did not report \"\(marker.trimmingCharacters(in: .whitespaces))\" within \(Int(Self.startPatience)) s"
            throw QKDError(.protocolFailure, "the \(child.name) process \(how) while starting; last lines of \(logName(of: child)):\n\(child.logTail())")
        }
    }

    /// The child's log file, or "its log" if the run folder is removed at the end.
    private func logName(of child: ChildProcess) -> String {
        keepsFolder ? child.logPath : "its log (removed with the run folder; keep it with --keep-run-dir)"
    }

    /// The error for a process that ended when it should not have: its name, exit status and log tail.
    private func failure(of child: ChildProcess) -> QKDError {
        QKDError(
            .protocolFailure,
            "the \(child.name) process \(child.ending ?? "ended"); stopped every process of the run; "
                + "last lines of \(logName(of: child)):\n\(child.logTail())")
    }

    /// The ETSI clients of every end-to-end pair: the first SAE of the pair's first node as the
    /// master, at its node's KME, and the first SAE of the other node as the slave, at its KME.
    private func pairClients(pkiFolder: String, firstPort: Int) throws -> [PairClients] {
        let ports = Dictionary(uniqueKeysWithValues: network.nodes.enumerated().map { ($1.id, firstPort + $0) })
        let caPath = (pkiFolder as NSString).appendingPathComponent("ca.pem")
        func client(sae: String, node: String) throws -> KMEClient {
            let file = (pkiFolder as NSString).appendingPathComponent(DevelopmentPKI.fileName(sae: sae))
            return try KMEClient(host: "localhost", port: ports[node]!, certificatePath: file + ".pem", privateKeyPath: file + "-key.pem", caPath: caPath)
        }
        return try NetworkRelaySimulation.endToEndPairs(of: network).map { from, to in
            let master = network.nodes.first { $0.id == from }!.saes[0]
            let slave = network.nodes.first { $0.id == to }!.saes[0]
            return PairClients(
                from: from, to: to, master: master, slave: slave,
                masterKME: try client(sae: master, node: from), slaveKME: try client(sae: slave, node: to))
        }
    }

    // MARK: - Key requests

    /// Rounds of requests, one key per pair per round, until every pair's master KME has refused
    /// one (no route had enough key: `exhausted`) or `roundSeconds` passed: each key is fetched
    /// again from the slave's KME by its ID and compared.
    private static func requestKeys(
        for pairs: [PairClients], adding deliveries: Deliveries, signals: InterruptSignals
    ) throws -> (deliveries: Deliveries, exhausted: Bool) {
        try AsyncBridge.run {
            var deliveries = deliveries
            var active = pairs
            let deadline = Date().addingTimeInterval(roundSeconds)
            while !active.isEmpty, Date() < deadline, signals.raised == nil {
                var stillActive: [PairClients] = []
                for pair in active {
                    guard let key = try await requestKey(pair) else {
                        deliveries.refused += 1
                        continue
                    }
                    let copy = try await fetchKey(id: key.id, pair: pair)
                    if copy == key.material { deliveries.identical += 1 } else { deliveries.differing += 1 }
                    deliveries.keyIDs["\(pair.from) <-> \(pair.to)", default: []].append(key.id)
                    stillActive.append(pair)
                }
                active = stillActive
            }
            return (deliveries, active.isEmpty)
        }
    }

    /// A new key for the pair's master (`enc_keys`), or nil if its KME answered 503.
    private static func requestKey(_ pair: PairClients) async throws -> (id: String, material: String)? {
        let body = try JSONEncoder().encode(["number": 1, "size": keySizeBits])
        let answer = try await call(pair.masterKME, "/\(try PathSegment.encode(pair.slave))/enc_keys", body: body, asking: "KME \(pair.from)", allowUnavailable: true)
        guard let answer else { return nil }
        guard let key = try keys(in: answer, from: "KME \(pair.from)").first else {
            throw QKDError(.protocolFailure, "KME \(pair.from) answered enc_keys for \(pair.slave) with no key")
        }
        return key
    }

    /// The key `id` for the pair's slave (`dec_keys`), as Base64.
    private static func fetchKey(id: String, pair: PairClients) async throws -> String {
        let body = try JSONEncoder().encode(["key_IDs": [["key_ID": id]]])
        let answer = try await call(pair.slaveKME, "/\(try PathSegment.encode(pair.master))/dec_keys", body: body, asking: "KME \(pair.to)", allowUnavailable: false)
        guard let key = try keys(in: answer!, from: "KME \(pair.to)").first, key.id == id else {
            throw QKDError(.protocolFailure, "KME \(pair.to) answered dec_keys for key \(id) without it")
        }
        return key.material
    }

    /// The answer's body if 200, nil if 503 and `allowUnavailable`; else an error with the KME's message.
    private static func call(_ client: KMEClient, _ path: String, body: Data, asking kme: String, allowUnavailable: Bool) async throws -> Data? {
        let answer = try await client.send(KMEServer.basePath + path, body: body)
        if answer.status == 503, allowUnavailable { return nil }
        guard answer.status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["message"] as? String
            throw QKDError(.protocolFailure, "\(kme) answered \(answer.status) to \(path): \(message ?? "no ETSI error body")")
        }
        return answer.body
    }

    /// The keys of an ETSI key container.
    private static func keys(in body: Data, from kme: String) throws -> [(id: String, material: String)] {
        guard let container = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let keys = container["keys"] as? [[String: Any]] else {
            throw QKDError(.protocolFailure, "\(kme) answered with no ETSI key container")
        }
        return keys.compactMap { key in
            guard let id = key["key_ID"] as? String, let material = key["key"] as? String else { return nil }
            return (id.lowercased(), material)
        }
    }

    // MARK: - Figures

    /// One progress line on standard error: wall time, each link's pool and each pair's keys.
    private func progress(links: [LinkProcesses], deliveries: Deliveries, since started: Date) {
        let pools = links.map { link in
            let bits = (try? AsyncBridge.run { [store = link.stores[1]] in try await store.availableBits(in: .all) }) ?? 0
            return "\(link.link.id) \(bits) bits\(link.optics.isRunning || link.bob.isRunning ? "" : " (done)")"
        }
        let pairs = NetworkRelaySimulation.endToEndPairs(of: network).map { "\($0.from) <-> \($0.to) \(deliveries.keyIDs["\($0.from) <-> \($0.to)"]?.count ?? 0) keys" }
        let line = "network run: \(Int(Date().timeIntervalSince(started))) s: pools " + pools.joined(separator: ", ")
            + (pairs.isEmpty ? "" : "; relayed " + pairs.joined(separator: ", "))
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// The figures once every process has stopped: each link's distilled key from Bob's block
    /// reports, its pool from both copies of the store, the routes of the relayed keys from the
    /// master KMEs' audit logs.
    private func outcome(
        links: [LinkProcesses], deliveries: Deliveries, pkiFolder: String, folder: String, keep: Bool, wallSeconds: Double, logs: [ChildProcess]
    ) throws -> Outcome {
        let pairs = NetworkRelaySimulation.endToEndPairs(of: network)
        var routes: [String: [String: Int]] = [:]
        var relayedOverLink: [String: Int] = [:]
        for pair in pairs {
            let name = "\(pair.from) <-> \(pair.to)"
            let auditPath = (pkiFolder as NSString).appendingPathComponent("kme-\(pair.from)-audit.log")
            let audited = Self.routes(inAuditLog: auditPath)
            for id in deliveries.keyIDs[name] ?? [] {
                guard let route = audited[id] else {
                    throw QKDError(.protocolFailure, "the audit log \(auditPath) does not record the route of relayed key \(id)")
                }
                routes[name, default: [:]][route, default: 0] += 1
                for link in NetworkRunCommand.links(of: route, in: network) { relayedOverLink[link, default: 0] += Self.keySizeBits }
            }
        }
        var linkReports: [NetworkRelaySimulation.LinkReport] = []
        var lost: [String: Int] = [:]
        for link in links {
            guard let data = FileManager.default.contents(atPath: link.reportsPath),
                  let reports = try? JSONDecoder().decode([BlockReport].self, from: data) else {
                throw QKDError(.storage, "the \(link.bob.name) process wrote no readable block reports to \(link.reportsPath)")
            }
            let distilled = reports.reduce(0) { $0 + $1.keysStored } * link.keySizeBits
            let pool = try link.stores.map { store in try AsyncBridge.run { try await store.availableBits(in: .all) } }.min() ?? 0
            let relayed = relayedOverLink[link.link.id] ?? 0
            lost[link.link.id] = distilled - pool - relayed
            linkReports.append(NetworkRelaySimulation.LinkReport(
                id: link.link.id, secretKeyRate: Double(distilled) / durationSeconds, distilledBits: distilled,
                relayConsumedBits: relayed, poolBits: pool, downSeconds: 0))
        }
        let pairReports = pairs.map { pair in
            let name = "\(pair.from) <-> \(pair.to)"
            let count = deliveries.keyIDs[name]?.count ?? 0
            return NetworkRelaySimulation.PairReport(
                from: pair.from, to: pair.to, relayedKeys: count, keyRate: Double(count * Self.keySizeBits) / durationSeconds,
                routes: routes[name] ?? [:])
        }
        return Outcome(
            report: NetworkRelaySimulation.Report(
                durationSeconds: durationSeconds, keySizeBits: Self.keySizeBits, links: linkReports, pairs: pairReports, outages: []),
            lostBits: lost, keysIdentical: deliveries.identical, keysDiffering: deliveries.differing, requestsRefused: deliveries.refused,
            wallSeconds: wallSeconds, runFolder: folder, runFolderKept: keep,
            logs: Dictionary(uniqueKeysWithValues: logs.map { ($0.name, $0.logPath) }))
    }

    /// The route ("A -> B -> C") of every key a KME relayed as the source, by key ID, from its
    /// audit log (``KeyManagementServer`` writes "relay key ID (BITS bits, ROUTE): drawn here ...").
    static func routes(inAuditLog path: String) -> [String: String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var routes: [String: String] = [:]
        for line in text.split(separator: "\n") where line.contains("): drawn here") {
            guard let start = line.range(of: "relay key "), let open = line.range(of: " (", range: start.upperBound..<line.endIndex),
                  let comma = line.range(of: " bits, ", range: open.upperBound..<line.endIndex),
                  let close = line.range(of: "): drawn here", range: comma.upperBound..<line.endIndex) else { continue }
            routes[String(line[start.upperBound..<open.lowerBound]).lowercased()] = String(line[comma.upperBound..<close.lowerBound])
        }
        return routes
    }
}
