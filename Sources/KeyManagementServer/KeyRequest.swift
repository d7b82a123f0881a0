import Foundation

/// What a master SAE asks of `enc_keys` (GET query or POST body): how many keys, of what size.
///
/// POST bodies are checked strictly: unknown fields, fields of the wrong type and mandatory
/// extensions (this KME supports none) are refused with a 400 ``ETSIError``.
public struct KeyRequest: Equatable, Sendable {
    /// The number of keys; nil means 1.
    public var number: Int?
    /// The size of each key in bits; nil means the KME's `key_size`.
    public var size: Int?
    /// Further slaves that get the same keys (multicast), in the order asked.
    public var additionalSlaveSAEIDs: [String]

    /// Creates a request.
    public init(number: Int? = nil, size: Int? = nil, additionalSlaveSAEIDs: [String] = []) {
        self.number = number
        self.size = size
        self.additionalSlaveSAEIDs = additionalSlaveSAEIDs
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
        if let slaves = object["additional_slave_SAE_IDs"] {
            for slave in try slaves.array(field: "additional_slave_SAE_IDs") {
                additionalSlaveSAEIDs.append(try slave.string(field: "additional_slave_SAE_IDs"))
            }
        }
        if let mandatory = object["extension_mandatory"] {
            let names = try mandatory.extensionNames(field: "extension_mandatory")
            if let name = names.first {
                throw .badRequest(
                    "unsupported mandatory extension \"\(name)\"",
                    details: names.map { ["extension_mandatory": $0] }
                )
            }
        }
        if let optional = object["extension_optional"] {
            _ = try optional.extensionNames(field: "extension_optional")
        }
    }

    private static func integer(_ text: String, parameter: String) throws(ETSIError) -> Int {
        guard let value = Int(text) else {
            throw .badRequest("query parameter \"\(parameter)\" is not an integer", details: [["parameter": parameter]])
        }
        return value
    }
}
