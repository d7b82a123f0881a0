import Crypto
import Foundation
import KeyManagement
import QKDCore

/// A development public-key infrastructure for the KME (`qkd pki init DIR`): a CA, a KME server
/// certificate for `localhost` and `127.0.0.1`, and client certificates for three SAEs, all P-256
/// ECDSA keys, written as PEM files with a KME configuration (`kme.json`) that uses them.
///
/// It also sets up the deployment where each end of the link has its own KME: a server
/// certificate for the second KME (`kme-b.pem`), a client certificate for each KME to present to
/// the other (`kme-a-peer.pem`, `kme-b-peer.pem`), and their configurations (`kme-a.json` on
/// `port` with SAE_A and store `kme-a.sqlite`, `kme-b.json` on `port + 1` with SAE_B, SAE_C and
/// store `kme-b.sqlite`), unless `port` is 0 (any free port), since each names the other's port.
///
/// For development and tests only: the CA key lies next to the certificates, unprotected.
public struct DevelopmentPKI: Sendable {
    /// The SAE IDs that get client certificates: a master (SAE_A) and two slaves, SAE_B and SAE_C
    /// (the second for ETSI 014's additional slaves).
    public static let saeIDs = ["SAE_A", "SAE_B", "SAE_C"]
    /// How long the certificates are valid.
    public static let validity: TimeInterval = 2 * 365 * 24 * 3600
    /// The organisation named in every certificate.
    public static let organization = "QKDKit development"

    /// The folder holding the files.
    public let directory: String

    /// Creates the infrastructure in `directory` (created if missing), replacing earlier files of
    /// the same names. Throws `QKDError` `.storage` if a file cannot be written.
    @discardableResult
    public static func create(in directory: String, kmeID: String = "KME_A", peerKMEID: String = "KME_B", port: Int = 8443) throws -> DevelopmentPKI {
        let (pki, issue) = try authority(in: directory)
        try issue(CertificateBuilder(organization: organization, commonName: kmeID, role: .server), "kme")
        try issue(CertificateBuilder(organization: organization, commonName: peerKMEID, role: .server), "kme-b")
        var subjects: [String: String] = [:]
        for saeID in saeIDs {
            let builder = CertificateBuilder(organization: organization, commonName: saeID, role: .client)
            try issue(builder, fileName(sae: saeID))
            subjects[builder.subjectDescription] = saeID
        }
        var peerSubjects: [String] = []
        for (name, id) in [("kme-a-peer", kmeID), ("kme-b-peer", peerKMEID)] {
            let builder = CertificateBuilder(organization: organization, commonName: id, role: .client)
            try issue(builder, name)
            peerSubjects.append(builder.subjectDescription)
        }
        let pairs = [SAEPair(master: saeIDs[0], slave: saeIDs[1]), SAEPair(master: saeIDs[0], slave: saeIDs[2])]
        try KMEConfiguration(
            kmeID: kmeID, peerKMEID: peerKMEID, host: "127.0.0.1", port: port, storePath: "kme.sqlite",
            certificatePath: "kme.pem", privateKeyPath: "kme-key.pem", clientCAPath: "ca.pem",
            saeIDsBySubject: subjects, pairs: pairs
        ).write(to: pki.path("kme.json"))
        for side in 0..<2 where port != 0 {
            let (name, id, otherID) = side == 0 ? ("kme-a", kmeID, peerKMEID) : ("kme-b", peerKMEID, kmeID)
            try KMEConfiguration(
                kmeID: id, peerKMEID: otherID, host: "127.0.0.1", port: port + side, storePath: "\(name).sqlite",
                certificatePath: side == 0 ? "kme.pem" : "kme-b.pem", privateKeyPath: side == 0 ? "kme-key.pem" : "kme-b-key.pem",
                clientCAPath: "ca.pem", saeIDsBySubject: subjects.filter { (side == 0) == ($0.value == saeIDs[0]) }, pairs: pairs,
                peer: .init(
                    host: "localhost", port: port + 1 - side, subject: peerSubjects[1 - side],
                    certificatePath: "\(name)-peer.pem", privateKeyPath: "\(name)-peer-key.pem")
            ).write(to: pki.path("\(name).json"))
        }
        return pki
    }

    /// Creates `directory` and a CA in it (`ca.pem`), and returns the PKI and a function that
    /// issues a certificate signed by the CA as `NAME.pem` and `NAME-key.pem`.
    static func authority(
        in directory: String
    ) throws -> (DevelopmentPKI, (CertificateBuilder, String) throws -> Void) {
        let pki = DevelopmentPKI(directory: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw QKDError(.storage, "cannot create PKI folder \(directory)")
        }
        let now = Date()
        let authority = CertificateBuilder(organization: organization, commonName: "QKDKit development CA", role: .authority)
        let authorityKey = P256.Signing.PrivateKey()
        func issue(_ builder: CertificateBuilder, name: String, key: P256.Signing.PrivateKey) throws {
            let certificate: String
            do {
                certificate = try builder.pem(
                    publicKey: key.publicKey, issuer: authority, issuerKey: authorityKey,
                    notBefore: now.addingTimeInterval(-3600), notAfter: now.addingTimeInterval(validity))
            } catch {
                throw QKDError(.invalidParameter, "cannot encode the certificate \(name).pem")
            }
            try pki.write(certificate, to: "\(name).pem", permissions: 0o644)
            try pki.write(key.pemRepresentation + "\n", to: "\(name)-key.pem", permissions: 0o600)
        }
        try issue(authority, name: "ca", key: authorityKey)
        return (pki, { builder, name in try issue(builder, name: name, key: P256.Signing.PrivateKey()) })
    }

    /// The base file name of an SAE's certificate (`sae-a` for `SAE_A`).
    public static func fileName(sae saeID: String) -> String {
        saeID.lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// The path of `name` in the folder.
    public func path(_ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    func write(_ text: String, to name: String, permissions: Int) throws {
        let file = path(name)
        try? FileManager.default.removeItem(atPath: file)
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: permissions]) else {
            throw QKDError(.storage, "cannot write \(file)")
        }
    }
}
