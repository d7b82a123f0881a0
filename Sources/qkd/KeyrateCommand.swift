import ArgumentParser
import Foundation
import QKDCore
import QKDNode
import Security

/// `qkd keyrate`: the finite-key secret length of observed counts.
struct KeyrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrate",
        abstract: "Compute the secret length of a block from its counts.",
        discussion: """
            The counts file is JSON, one block (an object) or several (an array, as written by \
            `qkd demo --blocks-out`); docs/security.md documents the schema and \
            examples/paper-120km-block.json is an example.

            Examples:
              qkd keyrate --counts examples/paper-120km-block.json --explain
              qkd demo --duration 2h --blocks-out blocks.json && qkd keyrate --counts blocks.json --json
            """
    )

    @Option(help: ArgumentHelp("Counts file (JSON).", valueName: "file"))
    var counts: String

    @Flag(help: "Print JSON: one object per block with the secret length and every intermediate bound.")
    var json = false

    @Flag(help: "Explain each term of the formula with its value and source.")
    var explain = false

    @Option(help: "Concentration inequality: chernoff (default), kato, or azuma-hoeffding (for comparison).")
    var inequality: String = "chernoff"

    func run() throws {
        let requests = try KeyRateRequest.load(path: counts)
        guard let choice = MartingaleBounds.Inequality(rawValue: inequality) else {
            throw QKDError(.invalidParameter, "--inequality must be chernoff, kato or azuma-hoeffding, got \(inequality)")
        }
        let reports = try requests.map { try KeyRateReport(request: $0, inequality: choice) }
        if json {
            let bounds = reports.map(\.bound)
            if requests.count == 1 { try printJSON(bounds[0]) } else { try printJSON(bounds) }
            return
        }
        for (index, report) in reports.enumerated() {
            if reports.count > 1 { print(index == 0 ? "block 0" : "\nblock \(index)") }
            print(report.text(explain: explain))
        }
        if reports.count > 1 {
            print("\ntotal \(reports.reduce(0) { $0 + $1.bound.secretBits }) secret bits over \(reports.count) blocks")
        }
    }
}
