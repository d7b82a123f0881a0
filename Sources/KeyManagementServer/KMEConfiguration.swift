import Foundation
import KeyManagement
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
///   "max_key_per_request": 128, "max_key_count": 100000
/// }
/// ```
///
/// Relative paths are resolved against the folder of the configuration file. Only the fields
/// from `key_size` on are optional (the defaults above).
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

    /// Creates a configuration; the limits default as documented on the type.
    public init(
        kmeID: String, peerKMEID: String, host: String, port: Int, storePath: String,
        certificatePath: String, privateKeyPath: String, clientCAPath: String,
        saeIDsBySubject: [String: String], pairs: [SAEPair],
        keySize: Int = 256, minKeySize: Int = 8, maxKeySize: Int = 4096,
        maxKeyPerRequest: Int = 128, maxKeyCount: Int = 100_000
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
        let configuration = KMEConfiguration(
            kmeID: document.kme_id, peerKMEID: document.peer_kme_id, host: document.host, port: document.port,
            storePath: resolve(document.store), certificatePath: resolve(document.certificate),
            privateKeyPath: resolve(document.private_key), clientCAPath: resolve(document.client_ca),
            saeIDsBySubject: document.sae_subjects,
            pairs: document.pairs.map { SAEPair(master: $0.master, slave: $0.slave) },
            keySize: document.key_size ?? 256, minKeySize: document.min_key_size ?? 8,
            maxKeySize: document.max_key_size ?? 4096, maxKeyPerRequest: document.max_key_per_request ?? 128,
            maxKeyCount: document.max_key_count ?? 100_000
        )
        try configuration.validate(file: path)
        return configuration
    }

    /// Writes the configuration as JSON to `path`, with paths as given.
    public func write(to path: String) throws {
        let document = KMEConfigurationDocument(
            kme_id: kmeID, peer_kme_id: peerKMEID, host: host, port: port, store: storePath,
            certificate: certificatePath, private_key: privateKeyPath, client_ca: clientCAPath,
            sae_subjects: saeIDsBySubject, pairs: pairs.map { .init(master: $0.master, slave: $0.slave) },
            key_size: keySize, min_key_size: minKeySize, max_key_size: maxKeySize,
            max_key_per_request: maxKeyPerRequest, max_key_count: maxKeyCount
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
            else if pairs.isEmpty { "pairs names no SAE pair" }
            else { nil }
        if let problem {
            throw QKDError(.malformedInput, "KME configuration \(path): \(problem)")
        }
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
    let peer_kme_id: String
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
}
