import Foundation
import QKDCore

/// Percent-encoding of an SAE ID for a URL path segment.
enum PathSegment {
    /// `text` with every character outside the unreserved set percent-encoded.
    static func encode(_ text: String) throws -> String {
        guard let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) else {
            throw QKDError(.invalidParameter, "SAE ID \"\(text)\" cannot be put in a URL")
        }
        return encoded
    }
}
