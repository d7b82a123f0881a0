import Foundation
import KeyManagement
import QKDCore

/// The KME-to-KME channel as the master's KME uses it: tells the peer KME (the slave's) which
/// keys were given to a master, over mutual TLS with this KME's peer certificate, and waits for
/// its confirmation (``KMEServer/peerDeliveriesPath``), bounded by the configuration's
/// ``KMEConfiguration/peerTimeouts``.
public struct PeerKMEClient: Sendable {
    /// The peer KME's ID, for messages.
    public let peerKMEID: String
    private let client: KMEClient

    /// A client of the peer described in `configuration.peer`, trusting `configuration.clientCAPath`.
    /// Throws `QKDError` `.malformedInput` naming a PEM file that cannot be read.
    public init(configuration: KMEConfiguration, peer: KMEConfiguration.PeerKME) throws {
        peerKMEID = configuration.peerKMEID
        client = try KMEClient(
            host: peer.host, port: peer.port, certificatePath: peer.certificatePath,
            privateKeyPath: peer.privateKeyPath, caPath: configuration.clientCAPath, timeouts: configuration.peerTimeouts)
    }

    /// Sends `notice` and returns the peer's answer once it has recorded the keys. Throws
    /// `QKDError` `.unavailable` naming the peer and why if it cannot be reached, does not answer
    /// in time or does not confirm.
    @discardableResult
    public func confirm(_ notice: PeerDeliveryNotice) async throws -> PeerDeliveryAnswer {
        let encoder = JSONEncoder()
        let answer: KMEClient.Answer
        do {
            answer = try await client.send(KMEServer.peerDeliveriesPath, body: try encoder.encode(notice))
        } catch let error as QKDError {
            throw QKDError(.unavailable, "the peer KME \(peerKMEID) is unreachable (\(error.message))")
        }
        guard answer.status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["message"] as? String
            throw QKDError(.unavailable, "the peer KME \(peerKMEID) refused the delivery (HTTP \(answer.status): \(message ?? "no message"))")
        }
        guard let decoded = try? JSONDecoder().decode(PeerDeliveryAnswer.self, from: answer.body) else {
            throw QKDError(.protocolFailure, "the peer KME \(peerKMEID) confirmed the delivery with an unreadable answer")
        }
        return decoded
    }
}
