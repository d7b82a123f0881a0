import Foundation
import QKDCore

/// The OpenAPI 3 document of the KME's API, shipped as the resource
/// `OpenAPI/etsi-gs-qkd-014.openapi.json` and served at ``KMEServer/openAPIPath``.
public enum KMEOpenAPIDocument {
    /// The document's bytes; throws `QKDError` `.notFound` if the resource is missing.
    public static func data() throws -> Data {
        guard let url = Bundle.module.url(forResource: "etsi-gs-qkd-014.openapi", withExtension: "json", subdirectory: "OpenAPI"),
              let data = try? Data(contentsOf: url)
        else {
            throw QKDError(.notFound, "the OpenAPI document is missing from the KME's resources")
        }
        return data
    }
}
