/// A parsed JSON value that keeps numbers, booleans and strings apart (Foundation's
/// `JSONSerialization` on Linux reads `0` and `false` as the same `NSNumber`).
enum JSONValue: Decodable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case object([String: JSONValue])
    case array([JSONValue])
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .number: return "a number"
        case .bool: return "a boolean"
        case .string(let text): return "the string \"\(text)\""
        case .object: return "an object"
        case .array: return "an array"
        case .null: return "null"
        }
    }
}
