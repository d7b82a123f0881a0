import Crypto
import Foundation
import SwiftASN1

/// A minimal X.509 v3 certificate writer (DER, then PEM) for the development PKI: P-256 keys,
/// ECDSA with SHA-256, a subject of organisation and common name, and the extensions a CA, a TLS
/// server and a TLS client need.
///
/// (swift-certificates would do this, but its `#if canImport(Security)` code paths switch on when
/// it is built next to QKDKit's own `Security` module, and then fail to compile on Linux.)
struct CertificateBuilder {
    /// What the certificate is for; decides its extensions.
    enum Role {
        /// A CA that signs the other certificates (basic constraints CA, path length 0).
        case authority
        /// A TLS server for `localhost` and `127.0.0.1`.
        case server
        /// A TLS client.
        case client
    }

    /// The subject: an organisation and a common name.
    let organization: String
    let commonName: String
    let role: Role

    /// The subject as the KME prints it: RFC 4514 order, most specific first.
    var subjectDescription: String { "CN=\(commonName),O=\(organization)" }

    /// The certificate of `publicKey`, valid from `notBefore` to `notAfter`, issued by `issuer`
    /// and signed with `issuerKey`, as PEM text.
    func pem(
        publicKey: P256.Signing.PublicKey,
        issuer: CertificateBuilder,
        issuerKey: P256.Signing.PrivateKey,
        notBefore: Date,
        notAfter: Date
    ) throws -> String {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(2) }
            var serial = (0..<16).map { _ in UInt8.random(in: 0...255) }
            serial[0] = serial[0] & 0x7F | 0x01
            try coder.serialize(ArraySlice(serial))
            try Self.appendSignatureAlgorithm(&coder)
            try issuer.appendName(&coder)
            try coder.appendConstructedNode(identifier: .sequence) { validity in
                try validity.serialize(Self.utcTime(notBefore))
                try validity.serialize(Self.utcTime(notAfter))
            }
            try appendName(&coder)
            coder.serializeRawBytes(publicKey.derRepresentation)
            try coder.serialize(explicitlyTaggedWithTagNumber: 3, tagClass: .contextSpecific) { try appendExtensions(&$0) }
        }
        let signature = try issuerKey.signature(for: tbs.serializedBytes)
        var certificate = DER.Serializer()
        try certificate.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbs.serializedBytes)
            try Self.appendSignatureAlgorithm(&coder)
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature.derRepresentation)))
        }
        let base64 = Data(certificate.serializedBytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN CERTIFICATE-----\n\(base64)\n-----END CERTIFICATE-----\n"
    }

    private func appendName(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { name in
            for (oid, value) in [(ASN1ObjectIdentifier.organizationName, organization), (.commonName, commonName)] {
                try name.appendConstructedNode(identifier: .set) { set in
                    try set.appendConstructedNode(identifier: .sequence) { attribute in
                        try attribute.serialize(oid)
                        try attribute.serialize(ASN1UTF8String(value))
                    }
                }
            }
        }
    }

    private func appendExtensions(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { extensions in
            var basicConstraints = DER.Serializer()
            try basicConstraints.appendConstructedNode(identifier: .sequence) { value in
                if role == .authority {
                    try value.serialize(true)
                    try value.serialize(0)
                }
            }
            try Self.appendExtension(&extensions, oid: .basicConstraints, critical: true, value: basicConstraints.serializedBytes)

            var keyUsage = DER.Serializer()
            // Bit 0 digitalSignature; bits 5 and 6 keyCertSign and cRLSign.
            try keyUsage.serialize(role == .authority ? ASN1BitString(bytes: [0x06], paddingBits: 1) : ASN1BitString(bytes: [0x80], paddingBits: 7))
            try Self.appendExtension(&extensions, oid: .keyUsage, critical: true, value: keyUsage.serializedBytes)

            guard role != .authority else { return }
            var extendedKeyUsage = DER.Serializer()
            try extendedKeyUsage.appendConstructedNode(identifier: .sequence) { value in
                try value.serialize(role == .server ? ASN1ObjectIdentifier.serverAuth : .clientAuth)
            }
            try Self.appendExtension(&extensions, oid: .extendedKeyUsage, critical: false, value: extendedKeyUsage.serializedBytes)

            guard role == .server else { return }
            var alternativeNames = DER.Serializer()
            try alternativeNames.appendConstructedNode(identifier: .sequence) { value in
                try ASN1IA5String("localhost").serialize(into: &value, withIdentifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific))
                try ASN1OctetString(contentBytes: [127, 0, 0, 1]).serialize(into: &value, withIdentifier: ASN1Identifier(tagWithNumber: 7, tagClass: .contextSpecific))
            }
            try Self.appendExtension(&extensions, oid: .subjectAlternativeName, critical: false, value: alternativeNames.serializedBytes)
        }
    }

    private static func appendExtension(_ coder: inout DER.Serializer, oid: ASN1ObjectIdentifier, critical: Bool, value: [UInt8]) throws {
        try coder.appendConstructedNode(identifier: .sequence) { entry in
            try entry.serialize(oid)
            if critical { try entry.serialize(true) }
            try entry.serialize(ASN1OctetString(contentBytes: ArraySlice(value)))
        }
    }

    private static func appendSignatureAlgorithm(_ coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ASN1ObjectIdentifier.ecdsaWithSHA256) }
    }

    private static func utcTime(_ date: Date) throws -> UTCTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return try UTCTime(
            year: parts.year!, month: parts.month!, day: parts.day!,
            hours: parts.hour!, minutes: parts.minute!, seconds: parts.second!)
    }
}

extension ASN1ObjectIdentifier {
    fileprivate static let organizationName: ASN1ObjectIdentifier = [2, 5, 4, 10]
    fileprivate static let commonName: ASN1ObjectIdentifier = [2, 5, 4, 3]
    fileprivate static let basicConstraints: ASN1ObjectIdentifier = [2, 5, 29, 19]
    fileprivate static let keyUsage: ASN1ObjectIdentifier = [2, 5, 29, 15]
    fileprivate static let extendedKeyUsage: ASN1ObjectIdentifier = [2, 5, 29, 37]
    fileprivate static let subjectAlternativeName: ASN1ObjectIdentifier = [2, 5, 29, 17]
    fileprivate static let serverAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 1]
    fileprivate static let clientAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 2]
    fileprivate static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
}
