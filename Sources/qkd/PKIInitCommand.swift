import ArgumentParser
import Foundation
import KeyManagementServer

/// `qkd pki init DIR`: a development CA, a KME server certificate, two SAE client certificates
/// and a KME configuration that uses them.
struct PKIInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a development CA, KME and SAE certificates, and kme.json, in DIR.",
        discussion: """
            Writes ca.pem, kme.pem (for localhost and 127.0.0.1), sae-a.pem and sae-b.pem (client \
            certificates of SAE_A, the master, and SAE_B, the slave), each with its -key.pem, and \
            kme.json. For development only: the CA key is kept unprotected in DIR.

            Example:
              qkd pki init pki && qkd kme serve --config pki/kme.json --store qkd-demo-keys/alice.sqlite
            """
    )

    @Argument(help: ArgumentHelp("Folder for the files (created if missing).", valueName: "dir"))
    var directory: String

    @Option(help: "TCP port written into kme.json.")
    var port: Int = 8443

    func run() throws {
        let pki = try DevelopmentPKI.create(in: directory, port: port)
        print("wrote ca.pem, kme.pem, \(DevelopmentPKI.saeIDs.map { DevelopmentPKI.fileName(sae: $0) + ".pem" }.joined(separator: ", ")) and kme.json in \(pki.directory)")
    }
}
