import Foundation
import KeyManagementServer
import QKDCore
import Testing

/// `KMEClient` given an IP address instead of a host name: no SNI (RFC 6066 forbids an address
/// there), and the KME's certificate is still checked, against the address. The development
/// server certificate names `localhost` and `127.0.0.1`.
@Suite(.timeLimit(.minutes(1))) struct KMEClientAddressTests {
    private func client(_ host: String, port: Int, pki: DevelopmentPKI) throws -> KMEClient {
        try KMEClient(
            host: host, port: port, certificatePath: pki.path("sae-a.pem"), privateKeyPath: pki.path("sae-a-key.pem"),
            caPath: pki.path("ca.pem"), timeouts: KMEClient.Timeouts(connect: .seconds(5), read: .seconds(10)))
    }

    @Test func anAddressTheCertificateNamesIsServed() async throws {
        let kme = try await TestKME(keyCount: 2)
        let answer = try await client("127.0.0.1", port: kme.port, pki: kme.pki).send(KMEServer.basePath + "/SAE_B/status")
        #expect(answer.status == 200)
        await kme.stop()
    }

    /// The same KME listening on 127.0.0.2 (still loopback on Linux), whose address its
    /// certificate does not name: the handshake must fail, so the address is really checked.
    @Test func anAddressTheCertificateDoesNotNameIsRefused() async throws {
        let kme = try await TestKME(keyCount: 2) { $0.host = "127.0.0.2" }
        let error = await #expect(throws: QKDError.self) {
            try await client("127.0.0.2", port: kme.port, pki: kme.pki).send(KMEServer.basePath + "/SAE_B/status")
        }
        // NIOSSL reports the failed name check (`failedToValidateHostname`) or, when the aborted
        // handshake closes the channel first, I/O on a closed channel; either way no answer.
        #expect(error?.code == .protocolFailure, "\(String(describing: error))")
        #expect(error?.message.contains("127.0.0.2:\(kme.port)") == true, "\(error?.message ?? "")")
        await kme.stop()
    }
}
