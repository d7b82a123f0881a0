import Foundation

/// What a slave SAE asks of `dec_keys` (GET query `key_ID` or POST body `key_IDs`): the IDs of
/// keys its master was given. Unknown fields and IDs that are not UUIDs are refused with a 400
/// ``ETSIError``; key ID extensions are accepted and ignored.
public struct KeyIDsRequest: Equatable, Sendable {
    /// The requested key IDs, in the order asked.
    public var keyIDs: [UUID]

    /// Creates a request.
    public init(keyIDs: [UUID]) {
        self.keyIDs = keyIDs
    }

    private static let bodyFields: Set<String> = ["key_IDs", "key_IDs_extension"]
    private static let entryFields: Set<String> = ["key_ID", "key_ID_extension"]

    /// Parses the query of `GET dec_keys` (`key_ID`, once or repeated).
    public init(query: [(name: String, value: String)]) throws(ETSIError) {
        keyIDs = []
        for (name, value) in query {
            guard name == "key_ID" else {
                throw .badRequest("unknown query parameter \"\(name)\"", details: [["parameter": name]])
            }
            keyIDs.append(try Self.uuid(value))
        }
        guard !keyIDs.isEmpty else {
            throw .badRequest("the query names no key_ID", details: [["parameter": "key_ID"]])
        }
    }

    /// Parses the JSON body of `POST dec_keys`.
    public init(body: Data) throws(ETSIError) {
        let object = try JSONBody.object(body)
        if let unknown = object.keys.sorted().first(where: { !Self.bodyFields.contains($0) }) {
            throw .badRequest("unknown field \"\(unknown)\" in the key IDs request", details: [["parameter": unknown]])
        }
        guard let entries = object["key_IDs"] else {
            throw .badRequest("the request has no key_IDs", details: [["parameter": "key_IDs"]])
        }
        keyIDs = []
        for entry in try entries.array(field: "key_IDs") {
            guard case .object(let fields) = entry, let keyID = fields["key_ID"] else {
                throw .badRequest("every entry of key_IDs must be an object with a key_ID", details: [["parameter": "key_IDs"]])
            }
            if let unknown = fields.keys.sorted().first(where: { !Self.entryFields.contains($0) }) {
                throw .badRequest("unknown field \"\(unknown)\" in key_IDs", details: [["parameter": unknown]])
            }
            keyIDs.append(try Self.uuid(try keyID.string(field: "key_ID")))
        }
        guard !keyIDs.isEmpty else {
            throw .badRequest("key_IDs is empty", details: [["parameter": "key_IDs"]])
        }
    }

    private static func uuid(_ text: String) throws(ETSIError) -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw .badRequest("key ID \"\(text)\" is not a UUID", details: [["key_ID": text]])
        }
        return id
    }
}
