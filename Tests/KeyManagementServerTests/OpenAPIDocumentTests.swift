import Foundation
import KeyManagement
import KeyManagementServer
import Testing

@Suite struct OpenAPIDocumentTests {
    /// Every route the server registers is in the OpenAPI document, and every operation of the
    /// document is a route of the server.
    @Test func documentAndRoutesAgree() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: KMEOpenAPIDocument.data()) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, operations in
            operations.keys.map { "\($0.uppercased()) \(Self.normalized(path))" }
        })
        let configuration = KMEConfiguration(
            kmeID: "A", peerKMEID: "B", host: "127.0.0.1", port: 0, storePath: "", certificatePath: "",
            privateKeyPath: "", clientCAPath: "", saeIDsBySubject: [:], pairs: [])
        let server = KMEServer(entity: try KeyManagementEntity(configuration: configuration, store: UnusedStore()))
        let registered = Set(server.router().routes.map { "\($0.method.rawValue) \(Self.normalized($0.path.description))" })
        #expect(registered.count == 9)
        #expect(registered == documented)
    }

    /// A path with every `{parameter}` name replaced by `{}`, and no leading slash.
    private static func normalized(_ path: String) -> String {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        return trimmed.replacingOccurrences(of: #"\{[^}]*\}"#, with: "{}", options: .regularExpression)
    }

    private struct UnusedStore: KeyDeliveryStore {
        func availableBits(in share: KeyShare) async throws -> Int { 0 }
        func takeForMaster(count: Int, sizeBits: Int, pair: SAEPair, additionalSlaves: [String]) async throws -> [DeliveredKey] { [] }
        func takeForSlave(ids: [UUID], pair: SAEPair) async throws -> [DeliveredKey] { [] }
        func takeForPeerDelivery(count: Int, sizeBits: Int, share: KeyShare) async throws -> [KeyAssembly.Delivery] { [] }
        func recordPeerDelivery(
            _ reservations: [KeyReservation], sizeBits: Int, pair: SAEPair, additionalSlaves: [String], peerShare: KeyShare,
            deriving derive: (@Sendable (DeliveredKey) throws -> DeliveredKey)?
        ) async throws {}
    }
}
