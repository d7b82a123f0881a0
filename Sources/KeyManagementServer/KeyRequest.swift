import Foundation

/// What a master SAE asks of `enc_keys` (GET query or POST body): how many keys, of what size,
/// and whether they are to be hybrid keys.
///
/// POST bodies are checked strictly: unknown fields, fields of the wrong type and mandatory
/// extensions other than ``hybridExtension`` are refused with a 400 ``ETSIError``.
///
/// Hybrid keys are asked for with the extension `{"qkdkit_hybrid": "ML-KEM-768"}` in
/// `extension_mandatory` (no hybrid key, no key: a KME that cannot derive one answers 400) or in
/// `extension_optional` (a hybrid key where the KME can derive one, else the plain QKD key):
///
/// ```json
/// {"number": 1, "size": 256, "extension_mandatory": [{"qkdkit_hybrid": "ML-KEM-768"}]}
/// ```
public struct KeyRequest: Equatable, Sendable {
    /// Whether the keys are to be hybrid QKD + ML-KEM-768 keys.
    public enum Hybrid: Equatable, Sendable {
        /// Plain QKD keys.
        case no
        /// Hybrid keys where the KME can derive them, else plain keys (`extension_optional`).
        case ifSupported
        /// Hybrid keys or a 400 (`extension_mandatory`).
        case required
    }

    /// The name of the hybrid key extension; its value must be ``hybridKEM``.
    public static let hybridExtension = "qkdkit_hybrid"
    /// The only KEM of hybrid keys.
    public static let hybridKEM = "ML-KEM-768"

    /// The number of keys; nil means 1.
    public var number: Int?
    /// The size of each key in bits; nil means the KME's `key_size`.
    public var size: Int?
    /// Further slaves that get the same keys (multicast), in the order asked.
    public var additionalSlaveSAEIDs: [String]
    /// Whether the keys are to be hybrid keys.
    public var hybrid: Hybrid

    /// Creates a request.
    public init(number: Int? = nil, size: Int? = nil, additionalSlaveSAEIDs: [String] = [], hybrid: Hybrid = .no) {
        self.number = number
        self.size = size
        self.additionalSlaveSAEIDs = additionalSlaveSAEIDs
        self.hybrid = hybrid
    }

    private static let bodyFields: Set<String> = [
        "number", "size", "additional_slave_SAE_IDs", "extension_mandatory", "extension_optional",
    ]

    /// Parses the query of `GET enc_keys` (`number`, `size`).
    public init(query: [(name: String, value: String)]) throws(ETSIError) {
        for (name, value) in query {
            switch name {
            case "number": number = try Self.integer(value, parameter: name)
            case "size": size = try Self.integer(value, parameter: name)
            default:
                throw .badRequest("unknown query parameter \"\(name)\"", details: [["parameter": name]])
            }
        }
        additionalSlaveSAEIDs = []
        hybrid = .no
    }

    /// Parses the JSON body of `POST enc_keys`.
    public init(body: Data) throws(ETSIError) {
        let object = try JSONBody.object(body)
        if let unknown = object.keys.sorted().first(where: { !Self.bodyFields.contains($0) }) {
            throw .badRequest("unknown field \"\(unknown)\" in the key request", details: [["parameter": unknown]])
        }
        number = try object["number"].map { value throws(ETSIError) in try value.integer(field: "number") }
        size = try object["size"].map { value throws(ETSIError) in try value.integer(field: "size") }
        additionalSlaveSAEIDs = []
        hybrid = .no
        if let slaves = object["additional_slave_SAE_IDs"] {
            for slave in try slaves.array(field: "additional_slave_SAE_IDs") {
                additionalSlaveSAEIDs.append(try slave.string(field: "additional_slave_SAE_IDs"))
            }
        }
        if let mandatory = object["extension_mandatory"] {
            let extensions = try mandatory.extensions(field: "extension_mandatory")
            let names = extensions.map(\.name).filter { $0 != Self.hybridExtension }
            if let name = names.first {
                throw .badRequest(
                    "unsupported mandatory extension \"\(name)\"",
                    details: names.map { ["extension_mandatory": $0] }
                )
            }
            if let value = extensions.first(where: { $0.name == Self.hybridExtension })?.value {
                try Self.checkHybrid(value, field: "extension_mandatory")
                hybrid = .required
            }
        }
        if let optional = object["extension_optional"] {
            if let value = try optional.extensions(field: "extension_optional").first(where: { $0.name == Self.hybridExtension })?.value,
               hybrid == .no {
                try Self.checkHybrid(value, field: "extension_optional")
                hybrid = .ifSupported
            }
        }
    }

    /// Throws 400 naming the value unless it is ``hybridKEM`` (in `extension_optional` too: an
    /// SAE that names another KEM asks for something no KME here can give).
    private static func checkHybrid(_ value: JSONBody, field: String) throws(ETSIError) {
        guard case .string(let kem) = value else {
            throw .badRequest(
                "extension \"\(hybridExtension)\" in \(field) must be the string \"\(hybridKEM)\"", details: [[field: hybridExtension]])
        }
        guard kem == hybridKEM else {
            throw .badRequest(
                "extension \"\(hybridExtension)\" in \(field): \"\(kem)\" is not a supported KEM (the only one is \"\(hybridKEM)\")",
                details: [[field: hybridExtension]])
        }
    }

    private static func integer(_ text: String, parameter: String) throws(ETSIError) -> Int {
        guard let value = Int(text) else {
            throw .badRequest("query parameter \"\(parameter)\" is not an integer", details: [["parameter": parameter]])
        }
        return value
    }
}
