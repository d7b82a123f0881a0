import Foundation
import KeyManagement
import QKDCore

/// Key pools and relays of a whole network over a span of time: every link distils key at its
/// secret key rate into its pool while it is up, and the end-to-end pairs (nodes with SAEs that
/// share no direct link) relay keys whenever a route has enough key, choosing routes as
/// ``KeyRelayNetwork`` does (``RelayRoute``).
///
/// ``run(durationSeconds:)`` counts bits: no key material is drawn, so an hour of a metro
/// network runs in moments and gives the same report on every run.
/// ``run(durationSeconds:relayingThrough:seed:)`` takes the same decisions but moves real keys:
/// it deposits seeded link keys in a ``KeyRelayNetwork``, takes links out of service there, and
/// relays every key through it, so that the keys both ends of each pair store can be compared.
///
/// Time advances in steps of `stepSeconds`, cut also where an outage
/// (``NetworkDescription/outages``) begins or ends. Each step adds a link's `rate × seconds` bits
/// to its pool in whole keys of `keySizeBits` (the fraction carries over) unless the link is
/// down, then relays in rounds: in a round each pair, on its current best route over the links
/// that are up, relays a share of the keys that route can pad (at least one), until a round
/// relays nothing. Every relayed key of n bits consumes n bits of every link on its route. A
/// link that is down distils nothing and carries no relay, and keeps its pool for when it is back
/// up. Relaying is greedy, so over a run a pair whose routes share no link with other pairs gets
/// about its bottleneck link's rate, and each link keeps its own rate minus what relaying
/// consumed for direct keys.
public struct NetworkRelaySimulation: Sendable {
    /// One link over the run.
    public struct LinkReport: Codable, Equatable, Sendable {
        /// The link's ID.
        public let id: String
        /// Its secret key rate while up, in bit/s.
        public let secretKeyRate: Double
        /// The key it distilled, in bits.
        public let distilledBits: Int
        /// The key relaying used as one-time pad, in bits.
        public let relayConsumedBits: Int
        /// The key left in its pool at the end, for direct keys, in bits.
        public let poolBits: Int
        /// How long it was down, in seconds.
        public let downSeconds: Double

        /// Creates a link's figures (for runs measured elsewhere, e.g. on running node processes).
        public init(id: String, secretKeyRate: Double, distilledBits: Int, relayConsumedBits: Int, poolBits: Int, downSeconds: Double) {
            self.id = id
            self.secretKeyRate = secretKeyRate
            self.distilledBits = distilledBits
            self.relayConsumedBits = relayConsumedBits
            self.poolBits = poolBits
            self.downSeconds = downSeconds
        }
    }

    /// One end-to-end pair over the run.
    public struct PairReport: Codable, Equatable, Sendable {
        /// One node of the pair.
        public let from: String
        /// The other node.
        public let to: String
        /// The keys relayed between them.
        public let relayedKeys: Int
        /// Their key rate, in bit/s: relayed bits over the run's duration.
        public let keyRate: Double
        /// The routes taken ("A -> B -> C") and how many keys each carried.
        public let routes: [String: Int]

        /// Creates a pair's figures.
        public init(from: String, to: String, relayedKeys: Int, keyRate: Double, routes: [String: Int]) {
            self.from = from
            self.to = to
            self.relayedKeys = relayedKeys
            self.keyRate = keyRate
            self.routes = routes
        }
    }

    /// A pair whose relays went over a link when it went down.
    public struct RerouteReport: Codable, Equatable, Sendable {
        /// One node of the pair.
        public let from: String
        /// The other node.
        public let to: String
        /// The route of the pair's last relay before the outage.
        public let routeBefore: String
        /// The routes its relays took while the link was down, and how many keys each carried
        /// (empty if no route had key).
        public let routesWhileDown: [String: Int]
    }

    /// One outage over the run.
    public struct OutageReport: Codable, Equatable, Sendable {
        /// The link that was down.
        public let link: String
        /// When it went down, in seconds from the start.
        public let downAtSeconds: Double
        /// When it came back up, or nil if it stayed down to the end.
        public let upAtSeconds: Double?
        /// The pairs relaying over the link when it went down, and where their relays went.
        public let reroutes: [RerouteReport]
    }

    /// The whole run.
    public struct Report: Codable, Equatable, Sendable {
        /// The simulated time, in seconds.
        public let durationSeconds: Double
        /// The size of every key, in bits.
        public let keySizeBits: Int
        /// Per link, in the network's order.
        public let links: [LinkReport]
        /// Per end-to-end pair.
        public let pairs: [PairReport]
        /// Per outage that began during the run, in the network's order.
        public let outages: [OutageReport]

        /// Creates a run's figures.
        public init(durationSeconds: Double, keySizeBits: Int, links: [LinkReport], pairs: [PairReport], outages: [OutageReport]) {
            self.durationSeconds = durationSeconds
            self.keySizeBits = keySizeBits
            self.links = links
            self.pairs = pairs
            self.outages = outages
        }
    }

    /// The network.
    public let network: NetworkDescription
    /// Each link's secret key rate, in bit/s, by link ID.
    public let linkRates: [String: Double]
    /// The size of distilled and relayed keys, in bits.
    public let keySizeBits: Int
    /// The time step, in seconds.
    public let stepSeconds: Double

    /// Creates a simulation. Throws `QKDError` `.invalidParameter` if a link has no rate or a
    /// negative or non-finite one, or if the key size or the step is not positive.
    public init(network: NetworkDescription, linkRates: [String: Double], keySizeBits: Int = 256, stepSeconds: Double = 1) throws {
        for link in network.links {
            guard let rate = linkRates[link.id], rate.isFinite, rate >= 0 else {
                throw QKDError(
                    .invalidParameter,
                    "link \"\(link.id)\" needs a finite, non-negative secret key rate, got \(linkRates[link.id].map { "\($0)" } ?? "none")")
            }
        }
        guard keySizeBits > 0, keySizeBits % 8 == 0 else {
            throw QKDError(.invalidParameter, "key size \(keySizeBits) bits is not a positive multiple of 8")
        }
        guard stepSeconds > 0, stepSeconds.isFinite else {
            throw QKDError(.invalidParameter, "time step \(stepSeconds) s must be positive")
        }
        self.network = network
        self.linkRates = linkRates
        self.keySizeBits = keySizeBits
        self.stepSeconds = stepSeconds
    }

    /// The end-to-end pairs: nodes with SAEs that share no direct link, in ID order.
    public var endToEndPairs: [(from: String, to: String)] { Self.endToEndPairs(of: network) }

    /// The end-to-end pairs of `network`: nodes with SAEs that share no direct link, in ID order.
    public static func endToEndPairs(of network: NetworkDescription) -> [(from: String, to: String)] {
        let ends = network.nodes.filter { !$0.saes.isEmpty }.map(\.id).sorted()
        return ends.indices.flatMap { first in
            ends[(first + 1)...].compactMap { second in
                network.links.contains { $0.touches(ends[first]) && $0.touches(second) } ? nil : (ends[first], second)
            }
        }
    }

    /// Runs `durationSeconds` of network time, counting bits. Throws `QKDError`
    /// `.invalidParameter` for a non-positive duration.
    public func run(durationSeconds: Double) async throws -> Report {
        try await simulate(
            durationSeconds: durationSeconds, deposit: { _, _ in }, setLink: { _, _ in },
            relay: { _, route, count in
                [(route: route, consumedBits: Array(repeating: keySizeBits, count: route.links.count), keys: count)]
            })
    }

    /// Runs `durationSeconds` of network time moving real keys through `relays`, a network of
    /// the same nodes and links with empty pools: each link's distilled keys are drawn from a
    /// generator seeded by `seed` and the link's ID and deposited at both its ends, outages take
    /// links out of service in `relays`, and every relay is ``KeyRelayNetwork/relay(from:to:sizeBits:)``
    /// (which chooses its route key by key, so the routes reported are the ones the keys took).
    /// Throws `QKDError` `.invalidParameter` for a non-positive duration or a relay network of
    /// other nodes or links or with key in a pool, and what `relays` throws.
    public func run(durationSeconds: Double, relayingThrough relays: KeyRelayNetwork, seed: UInt64) async throws -> Report {
        guard relays.network.nodes == network.nodes, relays.network.links == network.links else {
            throw QKDError(.invalidParameter, "the relay network's nodes and links differ from the simulated network's")
        }
        for link in network.links where try await relays.availableBits(onLink: link.id) != 0 {
            throw QKDError(.invalidParameter, "link \"\(link.id)\" already holds key in the relay network; the run starts from empty pools")
        }
        var generators = Dictionary(uniqueKeysWithValues: network.links.map { ($0.id, SeededGenerator(seed: seed, stream: $0.id)) })
        let byteCount = keySizeBits / 8
        var deposits: UInt64 = 0
        return try await simulate(
            durationSeconds: durationSeconds,
            deposit: { link, count in
                deposits += 1
                let keys = (0..<count).map { _ in
                    StoredKey(
                        id: Self.uuid(using: &generators[link]!),
                        bytes: (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generators[link]!) },
                        blockID: deposits, createdAt: Date())
                }
                try await relays.deposit(keys, onLink: link)
            },
            setLink: { link, up in try await relays.setLink(link, up: up) },
            relay: { pair, _, count in
                var delivered: [(route: RelayRoute, consumedBits: [Int], keys: Int)] = []
                for _ in 0..<count {
                    let outcome = try await relays.relay(from: pair.from, to: pair.to, sizeBits: keySizeBits)
                    delivered.append((route: outcome.route, consumedBits: outcome.consumedBits, keys: 1))
                }
                return delivered
            })
    }

    /// The simulation proper: `deposit(link, keys)` when a link distils whole keys,
    /// `setLink(link, up)` when a link goes down or comes back up, and `relay(pair, route,
    /// count)` to relay `count` keys for `pair` that `route` can pad, returning the routes the
    /// keys took, the bits each key consumed on each hop, and how many keys went that way.
    private func simulate(
        durationSeconds: Double,
        deposit: (String, Int) async throws -> Void,
        setLink: (String, Bool) async throws -> Void,
        relay: ((from: String, to: String), RelayRoute, Int) async throws -> [(route: RelayRoute, consumedBits: [Int], keys: Int)]
    ) async throws -> Report {
        guard durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "duration \(durationSeconds) s must be positive")
        }
        let pairs = endToEndPairs
        let outages = network.outages
        var pools: [String: Int] = [:], carried: [String: Double] = [:], distilled: [String: Int] = [:], consumed: [String: Int] = [:]
        var downSeconds: [String: Double] = [:]
        var relayed = [Int](repeating: 0, count: pairs.count)
        var routes = [[String: Int]](repeating: [:], count: pairs.count)
        var lastRoute = [RelayRoute?](repeating: nil, count: pairs.count)
        var routesBefore = [[RelayRoute?]?](repeating: nil, count: outages.count)
        var routesWhileDown = [[[String: Int]]](repeating: .init(repeating: [:], count: pairs.count), count: outages.count)
        var down = Set<String>()
        let times = breakpoints(durationSeconds: durationSeconds)
        for (index, start) in times.enumerated() {
            let seconds = (index + 1 < times.count ? times[index + 1] : durationSeconds) - start
            for (outage, described) in outages.enumerated() where routesBefore[outage] == nil && described.isDown(at: start) {
                routesBefore[outage] = lastRoute
            }
            let nowDown = Set(network.links.map(\.id).filter { network.isDown($0, at: start) })
            for link in network.links where nowDown.contains(link.id) != down.contains(link.id) {
                try await setLink(link.id, !nowDown.contains(link.id))
            }
            down = nowDown
            for link in network.links {
                guard !down.contains(link.id) else {
                    downSeconds[link.id, default: 0] += seconds
                    continue
                }
                let bits = carried[link.id, default: 0] + linkRates[link.id]! * seconds
                let keys = Int(bits / Double(keySizeBits))
                carried[link.id] = bits - Double(keys * keySizeBits)
                guard keys > 0 else { continue }
                try await deposit(link.id, keys)
                pools[link.id, default: 0] += keys * keySizeBits
                distilled[link.id, default: 0] += keys * keySizeBits
            }
            let activeOutages = outages.indices.filter { outages[$0].isDown(at: start) }
            var progressed = true
            while progressed {
                progressed = false
                for (pairIndex, pair) in pairs.enumerated() {
                    guard let route = try? RelayRoute.shortest(
                        from: pair.from, to: pair.to, sizeBits: keySizeBits, in: network,
                        availableBits: { down.contains($0.id) ? nil : pools[$0.id, default: 0] })
                    else { continue }
                    let fitting = route.links.map { pools[$0, default: 0] / keySizeBits }.min() ?? 0
                    for batch in try await relay(pair, route, max(1, fitting / pairs.count)) {
                        for (link, bits) in zip(batch.route.links, batch.consumedBits) {
                            pools[link, default: 0] -= bits * batch.keys
                            consumed[link, default: 0] += bits * batch.keys
                        }
                        relayed[pairIndex] += batch.keys
                        routes[pairIndex][batch.route.description, default: 0] += batch.keys
                        lastRoute[pairIndex] = batch.route
                        for outage in activeOutages { routesWhileDown[outage][pairIndex][batch.route.description, default: 0] += batch.keys }
                        progressed = true
                    }
                }
            }
        }
        return Report(
            durationSeconds: durationSeconds, keySizeBits: keySizeBits,
            links: network.links.map { link in
                LinkReport(
                    id: link.id, secretKeyRate: linkRates[link.id]!, distilledBits: distilled[link.id, default: 0],
                    relayConsumedBits: consumed[link.id, default: 0], poolBits: pools[link.id, default: 0],
                    downSeconds: downSeconds[link.id, default: 0])
            },
            pairs: pairs.indices.map { index in
                PairReport(
                    from: pairs[index].from, to: pairs[index].to, relayedKeys: relayed[index],
                    keyRate: Double(relayed[index] * keySizeBits) / durationSeconds, routes: routes[index])
            },
            outages: outages.indices.compactMap { outage in
                guard let before = routesBefore[outage] else { return nil }
                return OutageReport(
                    link: outages[outage].link, downAtSeconds: outages[outage].downAtSeconds, upAtSeconds: outages[outage].upAtSeconds,
                    reroutes: pairs.indices.compactMap { pairIndex in
                        guard let route = before[pairIndex], route.links.contains(outages[outage].link) else { return nil }
                        return RerouteReport(
                            from: pairs[pairIndex].from, to: pairs[pairIndex].to, routeBefore: route.description,
                            routesWhileDown: routesWhileDown[outage][pairIndex])
                    })
            })
    }

    /// The start times of the steps: every multiple of `stepSeconds` before the end, and every
    /// time an outage begins or ends before it.
    private func breakpoints(durationSeconds: Double) -> [Double] {
        let steps = Int((durationSeconds / stepSeconds).rounded(.up))
        var times = Set((0..<steps).map { Double($0) * stepSeconds })
        for outage in network.outages {
            for time in [outage.downAtSeconds, outage.upAtSeconds].compactMap({ $0 }) where time < durationSeconds {
                times.insert(time)
            }
        }
        return times.sorted()
    }

    /// A key ID drawn from `generator`, so that a seeded run stores the same IDs every time.
    private static func uuid(using generator: inout SeededGenerator) -> UUID {
        let high = generator.next(), low = generator.next()
        let bytes = (0..<16).map { UInt8(truncatingIfNeeded: ($0 < 8 ? high : low) >> (8 * UInt64($0 % 8))) }
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}
