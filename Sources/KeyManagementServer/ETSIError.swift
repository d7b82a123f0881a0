import Foundation
import Hummingbird

/// An HTTP error of the ETSI GS QKD 014 contract: a status (400, 401 or 503, or 404/405 for a
/// path or method the API does not have) and the body `{"message": ..., "details": [...]}`.
///
/// Messages and details name the problem, never key material.
public struct ETSIError: HTTPResponseError, Equatable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// One line naming the problem.
    public let message: String
    /// Further facts, each a one-entry object such as `{"parameter": "size"}`.
    public let details: [[String: String]]

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ message: String, details: [[String: String]] = []) {
        self.status = status
        self.message = message
        self.details = details
    }

    /// 400: the request is malformed or cannot be served as asked.
    public static func badRequest(_ message: String, details: [[String: String]] = []) -> ETSIError {
        ETSIError(.badRequest, message, details: details)
    }

    /// 401: the caller is not allowed to ask this.
    public static func unauthorized(_ message: String) -> ETSIError {
        ETSIError(.unauthorized, message)
    }

    /// 503: the KME cannot serve the request now (too little key material, a store failure).
    public static func unavailable(_ message: String) -> ETSIError {
        ETSIError(.serviceUnavailable, message)
    }

    /// The JSON body.
    public var body: Data {
        let object: [String: Any] = ["message": message, "details": details]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// The response: the status and the JSON body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
