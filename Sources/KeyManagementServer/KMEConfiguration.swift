import Foundation
import KeyManagement
import KeyRelay
import QKDCore

/// The configuration of a Key Management Entity (`qkd kme serve --config FILE`), a JSON object:
///
/// ```json
/// {
///   "kme_id": "KME_ALICE", "peer_kme_id": "KME_BOB",
///   "host": "127.0.0.1", "port": 8443,
///   "store": "keys/alice.sqlite",      (or "postgres://user:password@host:5432/database")
///   "certificate": "pki/kme.pem", "private_key": "pki/kme-key.pem", "client_ca": "pki/ca.pem",
///   "sae_subjects": { "CN=SAE_A,O=QKDKit development": "SAE_A" },
///   "pairs": [{ "master": "SAE_A", "slave": "SAE_B" }],
///   "key_size": 256, "min_key_size": 8, "max_key_size": 4096,
///   "max_key_per_request": 128, "max_key_count": 100000, "max_sae_id_count": 4,
///   "peer_connect_timeout": 10, "peer_read_timeout": 30,
///   "peer": { "host": "localhost", "port": 8444, "subject": "CN=KME_B,O=QKDKit development",
///             "certificate": "pki/kme-a-peer.pem", "private_key": "pki/kme-a-peer-key.pem" }
/// }
/// ```
///
/// Relative paths are resolved against the folder of the configuration file. Only the fields
/// from `key_size` on are optional (the defaults above).
///
/// Without `peer`, the KME serves both SAEs of every pair from its store (one store for both ends
/// of the link). With `peer`, each end of the link has its own KME and its own copy of the keys:
/// every pair has one SAE attached to this KME (named in `sae_subjects`) and the other attached
/// to the peer KME, and the two KMEs tell each other which keys they gave to masters over mutual
/// TLS (``PeerKMEClient``). `peer_connect_timeout` and `peer_read_timeout` (seconds) bound every
/// request to another KME, the peer's or a relay neighbour's (``KMEClient/Timeouts``): a KME that
/// does not answer in time fails the request with 503 rather than holding it.
///
/// With `relay` (``KMERelayConfiguration``), the KME is a node of a QKD network and relays keys
/// to and from the KMEs of other nodes; `peer_kme_id` may then be left out.
public struct KMEConfiguration: Sendable, Equatable {
    /// This KME's ID (`source_KME_ID` in the status).
    public var kmeID: String
    /// The ID of the KME at the other end of the link (`target_KME_ID`).
    public var peerKMEID: String
    /// The address to listen on.
    public var host: String
    /// The TCP port to listen on; 0 picks a free one.
    public var port: Int
    /// The key store: an SQLite file, or a PostgreSQL database as
    /// `postgres://user:password@host:port/database`.
    public var storePath: String
    /// The KME's certificate chain (PEM).
    public var certificatePath: String
    /// The KME's private key (PEM).
    public var privateKeyPath: String
    /// The CA (PEM) that must have signed every client certificate.
    public var clientCAPath: String
    /// SAE IDs by client certificate subject, as printed by `qkd pki init` (RFC 4514 order).
    public var saeIDsBySubject: [String: String]
    /// The SAE pairs this KME serves.
    public var pairs: [SAEPair]
    /// The default key size, in bits.
    public var keySize: Int
    /// The smallest key size accepted, in bits.
    public var minKeySize: Int
    /// The largest key size accepted, in bits.
    public var maxKeySize: Int
    /// The largest number of keys in one request.
    public var maxKeyPerRequest: Int
    /// The largest number of keys the store may hold (reported in the status).
    public var maxKeyCount: Int
    /// The largest number of additional slaves in one `enc_keys` request (`max_SAE_ID_count`).
    public var maxSAEIDCount: Int
    /// The KME at the other end of the link, when each end has its own KME; nil when this KME
    /// serves both ends.
    public var peer: PeerKME?
    /// The network this KME relays keys in, when it is a node of one; nil otherwise.
    public var relay: KMERelayConfiguration?
    /// The time limits of every request to another KME (the peer, relay neighbours).
    public var peerTimeouts: KMEClient.Timeouts

    /// Where and who the peer KME is, and the certificate this KME presents to it.
    public struct PeerKME: Sendable, Equatable {
        /// The peer's host name (checked against its server certificate).
        public var host: String
        /// The peer's port.
        public var port: Int
        /// The subject of the client certificate the peer presents to this KME (RFC 4514 order).
        public var subject: String
        /// This KME's client certificate for the peer (PEM).
        public var certificatePath: String
        /// Its private key (PEM).
        public var privateKeyPath: String

        /// Creates a peer description.
        public init(host: String, port: Int, subject: String, certificatePath: String, privateKeyPath: String) {
            self.host = host
            self.port = port
            self.subject = subject
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    /// The keys this KME hands to its masters: all of them without a peer, else its half
    /// (``KeyShare/of(kmeID:peerKMEID:)``).
    public var share: KeyShare {
        peer == nil ? .all : KeyShare.of(kmeID: kmeID, peerKMEID: peerKMEID)
    }

    /// The share of the peer KME, whose deliveries this KME records.
    public var peerShare: KeyShare {
        KeyShare.of(kmeID: peerKMEID, peerKMEID: kmeID)
    }

    /// The SAE IDs attached to this KME (the values of ``saeIDsBySubject``).
    public var localSAEIDs: Set<String> { Set(saeIDsBySubject.values) }

    /// Creates a configuration; the limits default as documented on the type.
    public init(
        kmeID: String, peerKMEID: String, host: String, port: Int, storePath: String,
        certificatePath: String, privateKeyPath: String, clientCAPath: String,
        saeIDsBySubject: [String: String], pairs: [SAEPair],
        keySize: Int = 256, minKeySize: Int = 8, maxKeySize: Int = 4096,
        maxKeyPerRequest: Int = 128, maxKeyCount: Int = 100_000, maxSAEIDCount: Int = 4, peer: PeerKME? = nil,
        relay: KMERelayConfiguration? = nil, peerTimeouts: KMEClient.Timeouts = .default
    ) {
        self.kmeID = kmeID
        self.peerKMEID = peerKMEID
        self.host = host
        self.port = port
        self.storePath = storePath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.saeIDsBySubject = saeIDsBySubject
        self.pairs = pairs
        self.keySize = keySize
        self.minKeySize = minKeySize
        self.maxKeySize = maxKeySize
        self.maxKeyPerRequest = maxKeyPerRequest
        self.maxKeyCount = maxKeyCount
        self.maxSAEIDCount = maxSAEIDCount
        self.peer = peer
        self.relay = relay
        self.peerTimeouts = peerTimeouts
    }

    /// Reads the configuration file at `path`; throws `QKDError` `.malformedInput` naming the
    /// file and the field if it cannot be read or is invalid.
    public static func load(file path: String) throws -> KMEConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QKDError(.malformedInput, "KME configuration \(path) cannot be read")
        }
        let document: KMEConfigurationDocument
        do {
            document = try JSONDecoder().decode(KMEConfigurationDocument.self, from: data)
        } catch let error as DecodingError {
            throw QKDError(.malformedInput, "KME configuration \(path): \(Self.describe(error))")
        } catch {
            throw QKDError(.malformedInput, "KME configuration \(path) is not valid JSON")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let resolve = { (file: String) in
            file.hasPrefix("/") || file.contains("://") ? file : (folder as NSString).appendingPathComponent(file)
        }
        guard document.peer_kme_id != nil || document.relay != nil else {
            throw QKDError(.malformedInput, "KME configuration \(path): missing field \"peer_kme_id\"")
        }
        let relay = try document.relay.map { section in
            let networkPath = resolve(section.network)
            let network: NetworkDescription
            do {
                network = try NetworkDescription.load(path: networkPath)
            } catch let error as QKDError {
                throw QKDError(.malformedInput, "KME configuration \(path): relay: \(error.message)")
            }
            return KMERelayConfiguration(
                networkPath: networkPath, network: network,
                links: section.links.map {
                    .init(linkID: $0.link, host: $0.host, port: $0.port, subject: $0.subject,
                          certificatePath: resolve($0.certificate), privateKeyPath: resolve($0.private_key), storePath: resolve($0.store))
                },
                auditLogPath: section.audit_log.map(resolve))
        }
        let configuration = KMEConfiguration(
            kmeID: document.kme_id, peerKMEID: document.peer_kme_id ?? "", host: document.host, port: document.port,
            storePath: resolve(document.store), certificatePath: resolve(document.certificate),
            privateKeyPath: resolve(document.private_key), clientCAPath: resolve(document.client_ca),
            saeIDsBySubject: document.sae_subjects,
            pairs: document.pairs.map { SAEPair(master: $0.master, slave: $0.slave) },
            keySize: document.key_size ?? 256, minKeySize: document.min_key_size ?? 8,
            maxKeySize: document.max_key_size ?? 4096, maxKeyPerRequest: document.max_key_per_request ?? 128,
            maxKeyCount: document.max_key_count ?? 100_000, maxSAEIDCount: document.max_sae_id_count ?? 4,
            peer: document.peer.map {
                PeerKME(host: $0.host, port: $0.port, subject: $0.subject,
                        certificatePath: resolve($0.certificate), privateKeyPath: resolve($0.private_key))
            },
            relay: relay,
            peerTimeouts: KMEClient.Timeouts(
                connect: try Self.seconds(document.peer_connect_timeout, field: "peer_connect_timeout", file: path)
                    ?? KMEClient.Timeouts.default.connect,
                read: try Self.seconds(document.peer_read_timeout, field: "peer_read_timeout", file: path)
                    ?? KMEClient.Timeouts.default.read)
        )
        try configuration.validate(file: path)
        return configuration
    }

    /// Writes the configuration as JSON to `path`, with paths as given.
    public func write(to path: String) throws {
        let document = KMEConfigurationDocument(
            kme_id: kmeID, peer_kme_id: relay != nil && peerKMEID.isEmpty ? nil : peerKMEID, host: host, port: port, store: storePath,
            certificate: certificatePath, private_key: privateKeyPath, client_ca: clientCAPath,
            sae_subjects: saeIDsBySubject, pairs: pairs.map { .init(master: $0.master, slave: $0.slave) },
            key_size: keySize, min_key_size: minKeySize, max_key_size: maxKeySize,
            max_key_per_request: maxKeyPerRequest, max_key_count: maxKeyCount, max_sae_id_count: maxSAEIDCount,
            peer_connect_timeout: peerTimeouts.connect == KMEClient.Timeouts.default.connect ? nil : Self.seconds(peerTimeouts.connect),
            peer_read_timeout: peerTimeouts.read == KMEClient.Timeouts.default.read ? nil : Self.seconds(peerTimeouts.read),
            peer: peer.map {
                .init(host: $0.host, port: $0.port, subject: $0.subject, certificate: $0.certificatePath, private_key: $0.privateKeyPath)
            },
            relay: relay.map { section in
                .init(
                    network: section.networkPath, audit_log: section.auditLogPath,
                    links: section.links.map {
                        .init(link: $0.linkID, host: $0.host, port: $0.port, subject: $0.subject,
                              certificate: $0.certificatePath, private_key: $0.privateKeyPath, store: $0.storePath)
                    })
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(document).write(to: URL(fileURLWithPath: path))
        } catch {
            throw QKDError(.storage, "cannot write KME configuration \(path)")
        }
    }

    private func validate(file path: String) throws {
        let problem: String? =
            if !(0...65535).contains(port) { "port \(port) is not a TCP port" }
            else if keySize <= 0 || keySize % 8 != 0 { "key_size \(keySize) is not a positive multiple of 8" }
            else if minKeySize <= 0 || minKeySize % 8 != 0 { "min_key_size \(minKeySize) is not a positive multiple of 8" }
            else if maxKeySize < keySize || keySize < minKeySize || maxKeySize % 8 != 0 {
                "key sizes must be multiples of 8 with min_key_size <= key_size <= max_key_size"
            } else if maxKeyPerRequest <= 0 { "max_key_per_request must be positive" }
            else if maxSAEIDCount < 0 { "max_sae_id_count must not be negative" }
            else if pairs.isEmpty, relay == nil { "pairs names no SAE pair" }
            else if relay != nil, peer != nil { "relay and peer exclude each other: a relaying KME reaches its neighbours through relay.links" }
            else if let relay, let problem = relay.problem(kmeID: kmeID, configuration: self) { problem }
            else if let peer, !(1...65535).contains(peer.port) { "peer.port \(peer.port) is not a TCP port" }
            else if peer != nil, kmeID == peerKMEID { "kme_id and peer_kme_id must differ" }
            else if peer != nil, let pair = pairs.first(where: { localSAEIDs.contains($0.master) == localSAEIDs.contains($0.slave) }) {
                "with a peer KME, one SAE of pair \(pair) must be in sae_subjects and the other at the peer"
            } else { nil }
        if let problem {
            throw QKDError(.malformedInput, "KME configuration \(path): \(problem)")
        }
    }

    /// `value` seconds of the field `field` as a duration, nil if absent; throws `QKDError`
    /// `.malformedInput` naming the file and the field unless it is positive and finite.
    private static func seconds(_ value: Double?, field: String, file path: String) throws -> Duration? {
        guard let value else { return nil }
        guard value > 0, value.isFinite else {
            throw QKDError(.malformedInput, "KME configuration \(path): \(field) \(value) must be a positive number of seconds")
        }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.isEmpty ? "not valid JSON" : "field \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        @unknown default: "not a KME configuration"
        }
    }
}

/// The JSON form of ``KMEConfiguration``, field names as in the file.
private struct KMEConfigurationDocument: Codable {
    struct Pair: Codable {
        let master: String
        let slave: String
    }

    let kme_id: String
    let peer_kme_id: String?
    let host: String
    let port: Int
    let store: String
    let certificate: String
    let private_key: String
    let client_ca: String
    let sae_subjects: [String: String]
    let pairs: [Pair]
    let key_size: Int?
    let min_key_size: Int?
    let max_key_size: Int?
    let max_key_per_request: Int?
    let max_key_count: Int?
    let max_sae_id_count: Int?
    let peer_connect_timeout: Double?
    let peer_read_timeout: Double?
    let peer: Peer?
    let relay: Relay?

    struct Relay: Codable {
        struct Link: Codable {
            let link: String
            let host: String
            let port: Int
            let subject: String
            let certificate: String
            let private_key: String
            let store: String
        }

        let network: String
        let audit_log: String?
        let links: [Link]
    }

    struct Peer: Codable {
        let host: String
        let port: Int
        let subject: String
        let certificate: String
        let private_key: String
    }
}
