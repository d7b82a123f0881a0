import Foundation

/// Strict reading of the JSON request bodies of ETSI GS QKD 014: every failure is a 400
/// ``ETSIError`` naming the field.
enum JSONBody: Decodable {
    case null
    case boolean(Bool)
    case number(Double)
    case string(String)
    case array([JSONBody])
    case object([String: JSONBody])

    /// Decodes any JSON value, telling booleans from numbers.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONBody].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONBody].self))
        }
    }

    /// The body as a JSON object.
    static func object(_ body: Data) throws(ETSIError) -> [String: JSONBody] {
        guard let value = try? JSONDecoder().decode(JSONBody.self, from: body) else {
            throw .badRequest("the request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw .badRequest("the request body is not a JSON object")
        }
        return object
    }

    /// An integer field (a JSON number without fraction, not a boolean).
    func integer(field: String) throws(ETSIError) -> Int {
        guard case .number(let number) = self, let integer = Int(exactly: number) else {
            throw .badRequest("field \"\(field)\" is not an integer", details: [["parameter": field]])
        }
        return integer
    }

    /// A string field.
    func string(field: String) throws(ETSIError) -> String {
        guard case .string(let string) = self else {
            throw .badRequest("field \"\(field)\" is not a string", details: [["parameter": field]])
        }
        return string
    }

    /// An array field.
    func array(field: String) throws(ETSIError) -> [JSONBody] {
        guard case .array(let array) = self else {
            throw .badRequest("field \"\(field)\" is not an array", details: [["parameter": field]])
        }
        return array
    }

    /// The extensions in an extension field, by name: an array of name/value objects (the
    /// standard's form) or one such object.
    func extensions(field: String) throws(ETSIError) -> [(name: String, value: JSONBody)] {
        switch self {
        case .object(let object):
            return object.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        case .array(let elements):
            var extensions: [(name: String, value: JSONBody)] = []
            for element in elements {
                guard case .object(let object) = element else {
                    throw .badRequest("field \"\(field)\" is not an array of name/value objects", details: [["parameter": field]])
                }
                extensions += object.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
            }
            return extensions
        default:
            throw .badRequest("field \"\(field)\" is not an array of name/value objects", details: [["parameter": field]])
        }
    }
}
