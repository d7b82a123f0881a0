import ArgumentParser
import Foundation
import KeyManagementServer
import KeyRelay

/// `qkd pki init DIR`: a development CA, a KME server certificate, two SAE client certificates
/// and a KME configuration that uses them.
struct PKIInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a development CA, KME and SAE certificates, and kme.json, in DIR.",
        discussion: """
            Writes ca.pem, kme.pem (for localhost and 127.0.0.1), sae-a.pem, sae-b.pem and sae-c.pem \
            (client certificates of SAE_A, the master, and SAE_B and SAE_C, its slaves), each with \
            its -key.pem, and kme.json. For development only: the CA key is kept unprotected in DIR.

            For a link with a KME at each end, it also writes kme-b.pem (the second KME's server \
            certificate), kme-a-peer.pem and kme-b-peer.pem (each KME's client certificate for the \
            other) and kme-a.json (KME_A on PORT, SAE_A attached) and kme-b.json (KME_B on PORT+1, \
            SAE_B and SAE_C attached), each naming the other as its peer (not with --port 0, which \
            leaves the port to the system).

            With --network FILE (a network description, as for `qkd network run`), it writes instead \
            the PKI of a network of relaying KMEs: kme-N.pem and kme-N-peer.pem for every node N, a \
            client certificate for every SAE of the network, network.json (a copy of FILE) and \
            kme-N.json (KME N on PORT+i for the i-th node, relaying keys to the other nodes over \
            its links; its copy of link L's key pool is kme-N-link-L.sqlite).

            Example:
              qkd pki init pki && qkd kme serve --config pki/kme.json --store qkd-demo-keys/alice.sqlite
              qkd kme serve --config pki/kme-a.json --store qkd-demo-keys/alice.sqlite &
              qkd kme serve --config pki/kme-b.json --store qkd-demo-keys/bob.sqlite &
              qkd pki init corridor --network examples/networks/corridor-240km.json --port 9443
              qkd kme serve --config corridor/kme-middle.json &
            """
    )

    @Argument(help: ArgumentHelp("Folder for the files (created if missing).", valueName: "dir"))
    var directory: String

    @Option(help: "TCP port written into kme.json and kme-a.json (kme-b.json gets the next one).")
    var port: Int = 8443

    @Option(help: ArgumentHelp("Network description (JSON): write one relaying KME configuration per node.", valueName: "file"))
    var network: String?

    func validate() throws {
        guard (0...65534).contains(port) else {
            throw ValidationError("--port \(port) must be in 0...65534 (kme-b.json gets the next port)")
        }
    }

    func run() throws {
        if let network {
            let description = try NetworkDescription.load(path: network)
            let pki = try DevelopmentPKI.createNetwork(in: directory, network: description, port: port)
            let files = description.nodes.map { DevelopmentPKI.configurationFile(node: $0.id) }.joined(separator: ", ")
            print("wrote ca.pem, KME and SAE certificates, network.json and \(files) in \(pki.directory)")
            return
        }
        let pki = try DevelopmentPKI.create(in: directory, port: port)
        let saeFiles = DevelopmentPKI.saeIDs.map { DevelopmentPKI.fileName(sae: $0) + ".pem" }.joined(separator: ", ")
        let configurations = port == 0 ? "kme.json" : "kme.json, kme-a.json and kme-b.json"
        print("wrote ca.pem, kme.pem, kme-b.pem, kme-a-peer.pem, kme-b-peer.pem, \(saeFiles) and \(configurations) in \(pki.directory)")
    }
}
