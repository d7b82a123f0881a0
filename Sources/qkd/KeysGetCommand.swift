import ArgumentParser
import Foundation

/// `qkd keys get SLAVE [--number N] [--size BITS] [--hybrid]`.
struct KeysGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "New keys shared with SLAVE (as its master).")

    @Argument(help: "The slave SAE's ID.")
    var slave: String

    @Option(help: "How many keys.")
    var number: Int = 1

    @Option(help: ArgumentHelp("Key size in bits (a multiple of 8); the KME's default if omitted.", valueName: "bits"))
    var size: Int?

    @Flag(help: "Hybrid QKD + ML-KEM-768 keys (extension qkdkit_hybrid, mandatory: the KME answers 400 if it cannot derive them).")
    var hybrid = false

    @OptionGroup var connection: KMEConnectionOptions

    func run() throws {
        var request: [String: Any] = ["number": number]
        if let size { request["size"] = size }
        if hybrid { request["extension_mandatory"] = [["qkdkit_hybrid": "ML-KEM-768"]] }
        try connection.call(
            "/\(try PathSegment.encode(slave))/enc_keys", body: try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]))
    }
}
