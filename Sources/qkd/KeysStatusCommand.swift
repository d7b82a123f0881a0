import ArgumentParser
import Foundation

/// `qkd keys status SLAVE`.
struct KeysStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "The status of the link to SLAVE (as its master).")

    @Argument(help: "The slave SAE's ID.")
    var slave: String

    @OptionGroup var connection: KMEConnectionOptions

    func run() throws {
        try connection.call("/\(try PathSegment.encode(slave))/status")
    }
}
