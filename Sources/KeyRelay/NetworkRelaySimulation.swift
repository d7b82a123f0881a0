import QKDCore

/// Key pools and relays of a whole network over a span of time, counted in bits: every link
/// distils key at its secret key rate into its pool, and the end-to-end pairs (nodes with SAEs
/// that share no direct link) relay keys whenever a route has enough key, choosing routes as
/// ``KeyRelayNetwork`` does (``RelayRoute``). Key material is not drawn: ``KeyRelayNetwork``
/// moves real keys and is tested on its own; this counts what it would consume, so an hour of
/// a metro network runs in moments and gives the same report on every run.
///
/// Time advances in steps of `stepSeconds`. Each step adds a link's `rate × stepSeconds` bits to
/// its pool in whole keys of `keySizeBits` (the fraction carries over), then relays in rounds:
/// in a round each pair, on its current best route, relays a share of the keys that route can
/// pad (at least one), until a round relays nothing. Every relayed key of n bits consumes n bits
/// of every link on its route. Relaying is greedy, so over a run a pair whose routes share no
/// link with other pairs gets about its bottleneck link's rate, and each link keeps its own rate
/// minus what relaying consumed for direct keys.
public struct NetworkRelaySimulation: Sendable {
    /// One link over the run.
    public struct LinkReport: Codable, Equatable, Sendable {
        /// The link's ID.
        public let id: String
        /// Its secret key rate, in bit/s.
        public let secretKeyRate: Double
        /// The key it distilled, in bits.
        public let distilledBits: Int
        /// The key relaying used as one-time pad, in bits.
        public let relayConsumedBits: Int
        /// The key left in its pool at the end, for direct keys, in bits.
        public let poolBits: Int
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
    public var endToEndPairs: [(from: String, to: String)] {
        let ends = network.nodes.filter { !$0.saes.isEmpty }.map(\.id).sorted()
        return ends.indices.flatMap { first in
            ends[(first + 1)...].compactMap { second in
                network.links.contains { $0.touches(ends[first]) && $0.touches(second) } ? nil : (ends[first], second)
            }
        }
    }

    /// Runs `durationSeconds` of network time. Throws `QKDError` `.invalidParameter` for a
    /// non-positive duration.
    public func run(durationSeconds: Double) throws -> Report {
        guard durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "duration \(durationSeconds) s must be positive")
        }
        let pairs = endToEndPairs
        var pools: [String: Int] = [:], carried: [String: Double] = [:], distilled: [String: Int] = [:], consumed: [String: Int] = [:]
        var relayed = [Int](repeating: 0, count: pairs.count)
        var routes = [[String: Int]](repeating: [:], count: pairs.count)
        let steps = Int((durationSeconds / stepSeconds).rounded(.up))
        for step in 0..<steps {
            let seconds = min(stepSeconds, durationSeconds - Double(step) * stepSeconds)
            for link in network.links {
                let bits = carried[link.id, default: 0] + linkRates[link.id]! * seconds
                let keys = Int(bits / Double(keySizeBits))
                carried[link.id] = bits - Double(keys * keySizeBits)
                pools[link.id, default: 0] += keys * keySizeBits
                distilled[link.id, default: 0] += keys * keySizeBits
            }
            var progressed = true
            while progressed {
                progressed = false
                for (index, pair) in pairs.enumerated() {
                    guard let route = try? RelayRoute.shortest(
                        from: pair.from, to: pair.to, sizeBits: keySizeBits, in: network, availableBits: { pools[$0.id, default: 0] })
                    else { continue }
                    let fitting = route.links.map { pools[$0, default: 0] / keySizeBits }.min() ?? 0
                    let count = max(1, fitting / pairs.count)
                    for link in route.links {
                        pools[link, default: 0] -= count * keySizeBits
                        consumed[link, default: 0] += count * keySizeBits
                    }
                    relayed[index] += count
                    routes[index][route.description, default: 0] += count
                    progressed = true
                }
            }
        }
        return Report(
            durationSeconds: durationSeconds, keySizeBits: keySizeBits,
            links: network.links.map { link in
                LinkReport(
                    id: link.id, secretKeyRate: linkRates[link.id]!, distilledBits: distilled[link.id, default: 0],
                    relayConsumedBits: consumed[link.id, default: 0], poolBits: pools[link.id, default: 0])
            },
            pairs: pairs.indices.map { index in
                PairReport(
                    from: pairs[index].from, to: pairs[index].to, relayedKeys: relayed[index],
                    keyRate: Double(relayed[index] * keySizeBits) / durationSeconds, routes: routes[index])
            })
    }
}
