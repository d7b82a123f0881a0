import ArgumentParser
import Foundation

/// `qkd keys get SLAVE [--number N] [--size BITS]`.
struct KeysGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "New keys shared with SLAVE (as its master).")

    @Argument(help: "The slave SAE's ID.")
    var slave: String

    @Option(help: "How many keys.")
    var number: Int = 1

    @Option(help: ArgumentHelp("Key size in bits (a multiple of 8); the KME's default if omitted.", valueName: "bits"))
    var size: Int?

    @OptionGroup var connection: KMEConnectionOptions

    func run() throws {
        var request: [String: Int] = ["number": number]
        if let size { request["size"] = size }
        try connection.call("/\(try PathSegment.encode(slave))/enc_keys", body: try JSONEncoder().encode(request))
    }
}
