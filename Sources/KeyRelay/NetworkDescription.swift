import Foundation
import QKDCore

/// A QKD network as a file describes it: the nodes (each a trusted node with its KME), the QKD
/// links between them (each with its own preset, length and overrides of the preset's
/// parameters), the SAEs attached to each node, and the links' outages over a run.
///
/// ```json
/// {
///   "nodes": [{"id": "A", "saes": ["SAE_A"]}, {"id": "B"}, {"id": "C", "saes": ["SAE_C"]}],
///   "links": [
///     {"id": "A-B", "from": "A", "to": "B", "preset": "paper-120km", "length_km": 120},
///     {"id": "B-C", "from": "B", "to": "C", "preset": "paper-120km", "length_km": 120,
///      "parameters": {"fiber.attenuationDbPerKm": 0.17, "detector.efficiency": 0.6}}
///   ],
///   "outages": [{"link": "B-C", "down_at_s": 1200, "up_at_s": 2400}]
/// }
/// ```
///
/// Decoding checks only the shape; ``validate()`` (called by ``init(data:name:)``) checks the
/// meaning and names what is wrong.
public struct NetworkDescription: Codable, Equatable, Sendable {
    /// A node: a trusted site with one KME.
    public struct Node: Codable, Equatable, Sendable {
        /// The node's ID, which is also its KME's ID.
        public let id: String
        /// The SAEs attached to the node's KME (none if absent).
        public let saes: [String]

        /// Creates a node.
        public init(id: String, saes: [String] = []) {
            self.id = id
            self.saes = saes
        }

        /// Decodes a node; `saes` may be absent.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            saes = try container.decodeIfPresent([String].self, forKey: .saes) ?? []
        }
    }

    /// A QKD link between two nodes; the pool of key it distils is shared by both ends.
    public struct Link: Codable, Equatable, Sendable {
        /// The link's ID.
        public let id: String
        /// The node at one end (Alice's side).
        public let from: String
        /// The node at the other end (Bob's side).
        public let to: String
        /// The link preset its devices start from (for example `paper-120km`).
        public let preset: String
        /// The fibre length, in km.
        public let lengthKm: Double
        /// Overrides of the preset's parameters, by `section.parameter` name as in a
        /// configuration file (`detector.efficiency`, `fiber.extraLossDb`; none if absent). The
        /// length is `lengthKm`, never `fiber.lengthKm`.
        public let parameters: [String: Double]

        /// Creates a link.
        public init(id: String, from: String, to: String, preset: String, lengthKm: Double, parameters: [String: Double] = [:]) {
            self.id = id
            self.from = from
            self.to = to
            self.preset = preset
            self.lengthKm = lengthKm
            self.parameters = parameters
        }

        /// Decodes a link; `parameters` may be absent.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(String.self, forKey: .id)
            from = try container.decode(String.self, forKey: .from)
            to = try container.decode(String.self, forKey: .to)
            preset = try container.decode(String.self, forKey: .preset)
            lengthKm = try container.decode(Double.self, forKey: .lengthKm)
            parameters = try container.decodeIfPresent([String: Double].self, forKey: .parameters) ?? [:]
        }

        /// Whether the link has `node` at one of its ends.
        public func touches(_ node: String) -> Bool { from == node || to == node }

        /// The node at the other end from `node` (which must be one of its ends).
        public func otherEnd(from node: String) -> String { node == from ? to : from }

        enum CodingKeys: String, CodingKey {
            case id, from, to, preset, parameters
            case lengthKm = "length_km"
        }
    }

    /// The nodes.
    public let nodes: [Node]
    /// The links.
    public let links: [Link]
    /// When links are out of service during a run (none if absent).
    public let outages: [LinkOutage]

    /// Creates a description from its parts; throws like ``validate()``.
    public init(nodes: [Node], links: [Link], outages: [LinkOutage] = []) throws {
        self.nodes = nodes
        self.links = links
        self.outages = outages
        try validate()
    }

    /// Decodes a description; `outages` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nodes = try container.decode([Node].self, forKey: .nodes)
        links = try container.decode([Link].self, forKey: .links)
        outages = try container.decodeIfPresent([LinkOutage].self, forKey: .outages) ?? []
    }

    /// This network with `more` outages besides its own (from the command line, say); throws
    /// like ``validate()``.
    public func adding(outages more: [LinkOutage]) throws -> NetworkDescription {
        try NetworkDescription(nodes: nodes, links: links, outages: outages + more)
    }

    /// Whether link `linkID` is down at time `seconds` by one of the outages.
    public func isDown(_ linkID: String, at seconds: Double) -> Bool {
        outages.contains { $0.link == linkID && $0.isDown(at: seconds) }
    }

    /// Parses and validates the description in `data`, read from `name` (a file path, for
    /// messages). Throws `QKDError` `.malformedInput` naming `name` and the first field that is
    /// missing or of the wrong type, or the errors of ``validate()``.
    public init(data: Data, name: String) throws {
        do {
            self = try JSONDecoder().decode(NetworkDescription.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw QKDError(.malformedInput, "network \(name): \(Self.path(context.codingPath + [key])) is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw QKDError(.malformedInput, "network \(name): \(Self.path(context.codingPath)) has the wrong type (\(context.debugDescription))")
        } catch {
            throw QKDError(.malformedInput, "network \(name) is not a JSON network description (\(error.localizedDescription))")
        }
        do {
            try validate()
        } catch let error as QKDError {
            throw QKDError(error.code, "network \(name): \(error.message)")
        }
    }

    /// Reads and validates the network description file at `path`. Throws `QKDError`
    /// `.notFound` if it cannot be read, or the errors of ``init(data:name:)``.
    public static func load(path: String) throws -> NetworkDescription {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QKDError(.notFound, "cannot read network description \(path)")
        }
        return try NetworkDescription(data: data, name: path)
    }

    /// Checks the description: at least one node; node, link and SAE IDs non-empty and unique
    /// (an SAE is attached to one node only); every link between two different known nodes, at
    /// most one link per pair of nodes, with a positive finite length, a preset named and
    /// finite parameters named `section.parameter` (other than `fiber.lengthKm`); every outage
    /// of a known link, going down at a finite time not before 0 and back up after it, and not
    /// overlapping another outage of the same link. Whether a parameter exists and its value
    /// suits its device is checked where the preset is loaded. Throws `QKDError`
    /// `.invalidParameter` naming the first problem.
    public func validate() throws {
        guard !nodes.isEmpty else { throw QKDError(.invalidParameter, "the network has no nodes") }
        var nodeIDs = Set<String>()
        var saeNodes: [String: String] = [:]
        for node in nodes {
            guard !node.id.isEmpty else { throw QKDError(.invalidParameter, "a node has an empty ID") }
            guard nodeIDs.insert(node.id).inserted else {
                throw QKDError(.invalidParameter, "node ID \"\(node.id)\" is used twice")
            }
            for sae in node.saes {
                guard !sae.isEmpty else { throw QKDError(.invalidParameter, "node \"\(node.id)\" has an SAE with an empty ID") }
                if let other = saeNodes.updateValue(node.id, forKey: sae) {
                    throw QKDError(.invalidParameter, "SAE \"\(sae)\" is attached to both node \"\(other)\" and node \"\(node.id)\"")
                }
            }
        }
        var linkIDs = Set<String>()
        var linkedPairs: [Set<String>: String] = [:]
        for link in links {
            guard !link.id.isEmpty else { throw QKDError(.invalidParameter, "a link has an empty ID") }
            guard linkIDs.insert(link.id).inserted else {
                throw QKDError(.invalidParameter, "link ID \"\(link.id)\" is used twice")
            }
            for end in [link.from, link.to] where !nodeIDs.contains(end) {
                throw QKDError(.invalidParameter, "link \"\(link.id)\" names unknown node \"\(end)\"")
            }
            guard link.from != link.to else {
                throw QKDError(.invalidParameter, "link \"\(link.id)\" links node \"\(link.from)\" to itself")
            }
            if let other = linkedPairs.updateValue(link.id, forKey: [link.from, link.to]) {
                throw QKDError(
                    .invalidParameter, "links \"\(other)\" and \"\(link.id)\" both join nodes \"\(link.from)\" and \"\(link.to)\"")
            }
            guard link.lengthKm.isFinite, link.lengthKm > 0 else {
                throw QKDError(.invalidParameter, "link \"\(link.id)\" has length \(link.lengthKm) km; it must be positive")
            }
            guard !link.preset.isEmpty else { throw QKDError(.invalidParameter, "link \"\(link.id)\" names no preset") }
            for (name, value) in link.parameters.sorted(by: { $0.key < $1.key }) {
                let parts = name.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw QKDError(
                        .invalidParameter, "link \"\(link.id)\": parameter \"\(name)\" is not named section.parameter, like detector.efficiency")
                }
                guard name != "fiber.lengthKm" else {
                    throw QKDError(.invalidParameter, "link \"\(link.id)\": give the length as length_km, not as parameter \"fiber.lengthKm\"")
                }
                guard value.isFinite else {
                    throw QKDError(.invalidParameter, "link \"\(link.id)\": parameter \"\(name)\" is \(value), not a finite number")
                }
            }
        }
        for (index, outage) in outages.enumerated() {
            guard linkIDs.contains(outage.link) else {
                throw QKDError(.invalidParameter, "outages[\(index)] names unknown link \"\(outage.link)\"")
            }
            guard outage.downAtSeconds.isFinite, outage.downAtSeconds >= 0 else {
                throw QKDError(.invalidParameter, "outages[\(index)] (link \"\(outage.link)\"): down_at_s is \(outage.downAtSeconds); it must be 0 or later")
            }
            if let up = outage.upAtSeconds {
                guard up.isFinite, up > outage.downAtSeconds else {
                    throw QKDError(
                        .invalidParameter,
                        "outages[\(index)] (link \"\(outage.link)\"): up_at_s is \(up); it must come after down_at_s \(outage.downAtSeconds)")
                }
            }
            if let earlier = outages[..<index].firstIndex(where: { $0.overlaps(outage) }) {
                throw QKDError(.invalidParameter, "outages[\(earlier)] and outages[\(index)] both take link \"\(outage.link)\" down at once")
            }
        }
    }

    /// The node that SAE `sae` is attached to, or nil.
    public func node(ofSAE sae: String) -> String? {
        nodes.first { $0.saes.contains(sae) }?.id
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return text.hasPrefix(".") ? String(text.dropFirst()) : text
    }
}
