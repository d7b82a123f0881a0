import Foundation
import KeyManagement
import KeyManagementServer
import QKDCore

/// `qkd demo --serve`: after the demo, serves the key store over ETSI GS QKD 014 with a fresh
/// development PKI in `<key dir>/pki`, and tells on standard error how to fetch a key.
struct DemoKeyServer {
    /// The demo's key folder.
    let keyDirectory: String
    /// The TCP port to listen on.
    let port: Int

    /// Serves until SIGINT or SIGTERM.
    func run() throws {
        guard (1...65535).contains(port) else {
            throw QKDError(.invalidParameter, "--port \(port) is not a TCP port")
        }
        let pkiDirectory = (keyDirectory as NSString).appendingPathComponent("pki")
        let pki = try DevelopmentPKI.create(in: pkiDirectory, port: port)
        var configuration = try KMEConfiguration.load(file: pki.path("kme.json"))
        configuration.storePath = (keyDirectory as NSString).appendingPathComponent("alice.sqlite")
        let server = KMEServer(entity: try KeyManagementEntity(
            configuration: configuration, store: try SQLiteKeyDeliveryStore(path: configuration.storePath)))
        let master = "--cert \(pki.path("sae-a.pem")) --key \(pki.path("sae-a-key.pem")) --cacert \(pki.path("ca.pem"))"
        let slave = "--cert \(pki.path("sae-b.pem")) --key \(pki.path("sae-b-key.pem")) --cacert \(pki.path("ca.pem"))"
        let instructions = """
            serving \(configuration.storePath) over ETSI GS QKD 014 on https://localhost:\(port) (Ctrl-C stops)
              master SAE_A:  curl \(master) https://localhost:\(port)/api/v1/keys/SAE_B/enc_keys
              slave SAE_B:   curl \(slave) "https://localhost:\(port)/api/v1/keys/SAE_A/dec_keys?key_ID=KEY_ID"
              or:            qkd keys get SAE_B --kme localhost:\(port) \(master)

            """
        try AsyncBridge.run {
            try await server.run { _ in FileHandle.standardError.write(Data(instructions.utf8)) }
        }
    }
}
