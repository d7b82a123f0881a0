import QKDCore

/// A path of links from one node to another that a relayed key travels, chosen by available key.
public struct RelayRoute: Equatable, Sendable, CustomStringConvertible {
    /// The nodes along the route, source first, destination last.
    public let nodes: [String]
    /// The links between consecutive nodes, one fewer than `nodes`.
    public let links: [String]

    /// "A -> B -> C".
    public var description: String { nodes.joined(separator: " -> ") }

    /// The route from `source` to `destination` of least total weight, a link's weight being
    /// `1 / available bits` of its pool, over links that are up and hold at least `sizeBits`
    /// bits: the route favours full pools and few hops, and never uses a link that cannot pad
    /// the key. Ties go to the route found first when neighbours are taken in ID order, so the
    /// choice is reproducible.
    ///
    /// `availableBits` gives each link's pool level, or nil for a link that is down. Throws
    /// `QKDError` `.unavailable` naming both nodes and the size if no route has enough key.
    public static func shortest(
        from source: String, to destination: String, sizeBits: Int,
        in network: NetworkDescription, availableBits: (NetworkDescription.Link) throws -> Int?
    ) throws -> RelayRoute {
        var weights: [String: Double] = [:]
        for link in network.links {
            if let bits = try availableBits(link), bits >= sizeBits, bits > 0 {
                weights[link.id] = 1 / Double(bits)
            }
        }
        var distance: [String: Double] = [source: 0]
        var previous: [String: (node: String, link: String)] = [:]
        var settled = Set<String>()
        while let node = distance.filter({ !settled.contains($0.key) }).min(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key {
            settled.insert(node)
            if node == destination { break }
            let outgoing = network.links.filter { $0.touches(node) && weights[$0.id] != nil }
            for link in outgoing.sorted(by: { $0.otherEnd(from: node) < $1.otherEnd(from: node) }) {
                let neighbour = link.otherEnd(from: node)
                let candidate = distance[node]! + weights[link.id]!
                if !settled.contains(neighbour), candidate < distance[neighbour] ?? .infinity {
                    distance[neighbour] = candidate
                    previous[neighbour] = (node, link.id)
                }
            }
        }
        guard source != destination, settled.contains(destination) else {
            throw QKDError(
                .unavailable,
                "no route from node \(source) to node \(destination) has \(sizeBits) bits of key on every link"
            )
        }
        var nodes = [destination], links: [String] = []
        while let step = previous[nodes[0]] {
            nodes.insert(step.node, at: 0)
            links.insert(step.link, at: 0)
        }
        return RelayRoute(nodes: nodes, links: links)
    }
}
