import Foundation
import KeyRelay
import QKDCore

/// The `relay` section of a KME configuration: the KME is a node of a QKD network
/// (``KeyRelay/NetworkDescription``, node ID = `kme_id`) and serves keys to pairs whose other SAE
/// is attached to any other node, relayed hop by hop with a one-time pad over the links
/// (``KMERelay``).
///
/// ```json
/// "relay": {
///   "network": "corridor.json",
///   "audit_log": "kme-B-audit.log",
///   "links": [
///     {"link": "A-B", "host": "localhost", "port": 8443, "subject": "CN=A,O=QKDKit development",
///      "certificate": "kme-B-peer.pem", "private_key": "kme-B-peer-key.pem", "store": "kme-B-link-A-B.sqlite"}
///   ]
/// }
/// ```
///
/// Every link of the network that touches this node is listed once: the neighbour KME at its
/// other end (address, and the subject of the client certificate it presents here), this KME's
/// client certificate for it, and this node's copy of the link's key pool (an SQLite file the
/// link's QKD node writes). With `relay`, `store` holds the relayed keys waiting for their slave
/// SAE and must be an SQLite file too; `peer` and `peer_kme_id` are not used.
public struct KMERelayConfiguration: Sendable, Equatable {
    /// One link of this node to a neighbour KME.
    public struct Link: Sendable, Equatable {
        /// The link's ID in the network description.
        public var linkID: String
        /// The neighbour KME's host name (checked against its server certificate).
        public var host: String
        /// The neighbour KME's port.
        public var port: Int
        /// The subject of the client certificate the neighbour presents to this KME (RFC 4514 order).
        public var subject: String
        /// This KME's client certificate for the neighbour (PEM).
        public var certificatePath: String
        /// Its private key (PEM).
        public var privateKeyPath: String
        /// This node's copy of the link's key pool (SQLite file).
        public var storePath: String

        /// Creates a link description.
        public init(linkID: String, host: String, port: Int, subject: String, certificatePath: String, privateKeyPath: String, storePath: String) {
            self.linkID = linkID
            self.host = host
            self.port = port
            self.subject = subject
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
            self.storePath = storePath
        }
    }

    /// The network file, as named in the configuration.
    public var networkPath: String
    /// The network it describes.
    public var network: NetworkDescription
    /// The links of this node.
    public var links: [Link]
    /// The file the audit lines are appended to; nil: standard error.
    public var auditLogPath: String?

    /// Creates a relay section.
    public init(networkPath: String, network: NetworkDescription, links: [Link], auditLogPath: String? = nil) {
        self.networkPath = networkPath
        self.network = network
        self.links = links
        self.auditLogPath = auditLogPath
    }

    /// The problem with this section for the KME `kmeID` with `configuration`, or nil: the node
    /// must be in the network, every link of the network touching it listed once and no other,
    /// every pair with one SAE attached here and the other at another node.
    func problem(kmeID: String, configuration: KMEConfiguration) -> String? {
        let network = network
        guard network.nodes.contains(where: { $0.id == kmeID }) else {
            return "relay: kme_id \(kmeID) is not a node of network \(networkPath)"
        }
        let expected = Set(network.links.filter { $0.touches(kmeID) }.map(\.id))
        let listed = links.map(\.linkID)
        if let unknown = listed.first(where: { !expected.contains($0) }) {
            return "relay: link \(unknown) is not a link of node \(kmeID) in network \(networkPath)"
        }
        if Set(listed).count != listed.count { return "relay: a link is listed twice" }
        if let missing = expected.subtracting(listed).sorted().first { return "relay: link \(missing) of node \(kmeID) is not listed" }
        if let link = links.first(where: { !(1...65535).contains($0.port) }) {
            return "relay: link \(link.linkID) port \(link.port) is not a TCP port"
        }
        if let location = ([configuration.storePath] + links.map(\.storePath)).first(where: { $0.contains("://") }) {
            return "relay: store \(location) must be an SQLite file"
        }
        let local = configuration.localSAEIDs
        for pair in configuration.pairs {
            let (here, there) = local.contains(pair.master) ? (pair.master, pair.slave) : (pair.slave, pair.master)
            guard local.contains(here), !local.contains(there) else {
                return "relay: one SAE of pair \(pair) must be in sae_subjects and the other at another node"
            }
            guard let node = network.node(ofSAE: there), node != kmeID else {
                return "relay: SAE \(there) of pair \(pair) is attached to no other node of network \(networkPath)"
            }
        }
        return nil
    }
}
