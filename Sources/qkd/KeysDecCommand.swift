import ArgumentParser
import Foundation

/// `qkd keys dec MASTER KEY_ID...`.
struct KeysDecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dec", abstract: "The keys MASTER was given, by ID (as its slave).")

    @Argument(help: "The master SAE's ID.")
    var master: String

    @Argument(help: "The key IDs.")
    var keyIDs: [String]

    @OptionGroup var connection: KMEConnectionOptions

    func run() throws {
        let body = try JSONEncoder().encode(["key_IDs": keyIDs.map { ["key_ID": $0] }])
        try connection.call("/\(try PathSegment.encode(master))/dec_keys", body: body)
    }
}
