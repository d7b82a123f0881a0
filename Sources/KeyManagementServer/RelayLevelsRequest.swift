import Foundation

/// A question a KME asks its neighbours before relaying (`POST /api/v1/peer/relay/levels`, KME
/// to neighbour KME over mutual TLS): how much key each link of the network holds, as far as the
/// asked KME and, recursively, its neighbours not yet asked know.
///
/// Request `{"visited": ["A", "B"]}` (the nodes already asked or being asked, never asked again),
/// answer `{"levels": {"A-B": 4096, "B-C": 8192}}`: for each link, in bits, the smaller of the
/// two ends' shares of its pool that no one has taken yet. A link whose KMEs could not be reached
/// is missing from the answer, so routes avoid it.
public struct RelayLevelsRequest: Codable, Equatable, Sendable {
    /// The nodes already asked.
    public let visited: [String]

    /// Creates a request.
    public init(visited: [String]) {
        self.visited = visited
    }

    /// Parses a request; 400 ``ETSIError`` if `body` is not one.
    public init(body: Data) throws(ETSIError) {
        do {
            self = try JSONDecoder().decode(RelayLevelsRequest.self, from: body)
        } catch {
            throw .badRequest("the request body is not a relay levels request")
        }
    }
}

/// The answer to a ``RelayLevelsRequest``.
public struct RelayLevels: Codable, Equatable, Sendable {
    /// Available bits by link ID.
    public let levels: [String: Int]
}
