import Foundation
import KeyManagement
import KeyRelay
import QKDCore

extension DevelopmentPKI {
    /// The configuration file of node `node`'s KME in a network PKI.
    public static func configurationFile(node: String) -> String { "kme-\(node).json" }

    /// The pool file of node `node`'s copy of link `link` in a network PKI.
    public static func linkStoreFile(node: String, link: String) -> String { "kme-\(node)-link-\(link).sqlite" }

    /// Creates a development PKI and one relaying KME configuration per node of `network`
    /// (`qkd pki init DIR --network FILE`), in `directory`:
    ///
    /// - `ca.pem`; for each node N, `kme-N.pem` (server, for `localhost`) and `kme-N-peer.pem`
    ///   (N's client certificate towards its neighbours); for each SAE of the network its client
    ///   certificate (`sae-a.pem` for `SAE_A`); each with its `-key.pem`;
    /// - `network.json`, a copy of the network;
    /// - `kme-N.json`: KME N (``KMEConfiguration/relay``) on `port + i` for the i-th node, its
    ///   SAEs attached, pairs both ways between each of its SAEs and every SAE of another node,
    ///   relayed keys in `kme-N.sqlite`, audit log `kme-N-audit.log`, and for each of its links
    ///   the neighbour's address and this node's copy of the link's pool
    ///   ``linkStoreFile(node:link:)`` (which the link's QKD node fills).
    ///
    /// Throws `QKDError` `.invalidParameter` if the ports would pass 65535, `.storage` if a file
    /// cannot be written.
    @discardableResult
    public static func createNetwork(in directory: String, network: NetworkDescription, port: Int) throws -> DevelopmentPKI {
        guard port > 0, port + network.nodes.count - 1 <= 65535 else {
            throw QKDError(.invalidParameter, "ports \(port)...\(port + network.nodes.count - 1) are not all TCP ports")
        }
        let (pki, issue) = try authority(in: directory)
        var saeSubjects: [String: String] = [:]
        for sae in network.nodes.flatMap(\.saes) {
            let builder = CertificateBuilder(organization: organization, commonName: sae, role: .client)
            try issue(builder, fileName(sae: sae))
            saeSubjects[builder.subjectDescription] = sae
        }
        var kmeSubjects: [String: String] = [:]
        for node in network.nodes {
            try issue(CertificateBuilder(organization: organization, commonName: node.id, role: .server), "kme-\(node.id)")
            let client = CertificateBuilder(organization: organization, commonName: node.id, role: .client)
            try issue(client, "kme-\(node.id)-peer")
            kmeSubjects[node.id] = client.subjectDescription
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try pki.write(String(decoding: try encoder.encode(network), as: UTF8.self) + "\n", to: "network.json", permissions: 0o644)
        } catch let error as QKDError {
            throw error
        } catch {
            throw QKDError(.storage, "cannot encode the network description")
        }
        let ports = Dictionary(uniqueKeysWithValues: network.nodes.enumerated().map { ($1.id, port + $0) })
        for node in network.nodes {
            let remote = network.nodes.filter { $0.id != node.id }.flatMap(\.saes)
            let pairs = node.saes.flatMap { local in
                remote.flatMap { [SAEPair(master: local, slave: $0), SAEPair(master: $0, slave: local)] }
            }
            let links = network.links.filter { $0.touches(node.id) }.map { link in
                let neighbour = link.otherEnd(from: node.id)
                return KMERelayConfiguration.Link(
                    linkID: link.id, host: "localhost", port: ports[neighbour]!, subject: kmeSubjects[neighbour]!,
                    certificatePath: "kme-\(node.id)-peer.pem", privateKeyPath: "kme-\(node.id)-peer-key.pem",
                    storePath: linkStoreFile(node: node.id, link: link.id))
            }
            try KMEConfiguration(
                kmeID: node.id, peerKMEID: "", host: "127.0.0.1", port: ports[node.id]!, storePath: "kme-\(node.id).sqlite",
                certificatePath: "kme-\(node.id).pem", privateKeyPath: "kme-\(node.id)-key.pem", clientCAPath: "ca.pem",
                saeIDsBySubject: saeSubjects.filter { node.saes.contains($0.value) }, pairs: pairs,
                relay: KMERelayConfiguration(
                    networkPath: "network.json", network: network, links: links, auditLogPath: "kme-\(node.id)-audit.log")
            ).write(to: pki.path(configurationFile(node: node.id)))
        }
        return pki
    }
}
