/// An error a user can act on: a short machine-readable code and a one-line message that names
/// what was wrong.
public struct QKDError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem this is.
    public enum Code: String, Sendable {
        /// A parameter is outside its allowed range or unknown.
        case invalidParameter
        /// A file or message could not be parsed.
        case malformedInput
        /// A referenced thing (preset, key, block) does not exist.
        case notFound
        /// A protocol step failed (verification mismatch, unexpected message).
        case protocolFailure
        /// Storage could not be read or written.
        case storage
        /// A resource ran short for now (for example not enough key material); retrying later may
        /// succeed.
        case unavailable
    }

    /// The kind of problem.
    public let code: Code
    /// One line naming the problem.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
