import ArgumentParser

/// `qkd keys`: an ETSI GS QKD 014 client for scripts.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Fetch keys from a KME over ETSI GS QKD 014 (mutual TLS); prints the KME's JSON.",
        discussion: """
            Examples (with the files of `qkd pki init pki`):
              qkd keys status SAE_B --cert pki/sae-a.pem --key pki/sae-a-key.pem --cacert pki/ca.pem
              qkd keys get SAE_B --number 2 --size 512 --cert pki/sae-a.pem --key pki/sae-a-key.pem --cacert pki/ca.pem
              qkd keys dec SAE_A KEY_ID --cert pki/sae-b.pem --key pki/sae-b-key.pem --cacert pki/ca.pem
            An answer other than 200 is one line on standard error (the KME's message) and exit code 2.
            """,
        subcommands: [KeysStatusCommand.self, KeysGetCommand.self, KeysDecCommand.self]
    )
}
