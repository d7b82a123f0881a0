import ArgumentParser
import Foundation
import QKDCore

/// The `qkd` command line: thin commands that parse flags and call QKDNode.
@main
struct QKDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qkd",
        abstract: "QKDKit: a time-bin quantum key distribution link, from photons to keys.",
        discussion: """
            Examples:
              qkd demo                         # the 120 km reference link, 6 h of link time
              qkd demo --duration 10m --json   # a shorter run, machine-readable summary
              qkd demo --distance 80 --seed 7
              qkd keyrate --counts examples/paper-120km-block.json --explain
              qkd simulate --sweep distance=0:250:5 --plot rates.svg
            """,
        subcommands: [
            DemoCommand.self, SimulateCommand.self, RunCommand.self, KeyrateCommand.self, OpticsCommand.self, NodeCommand.self,
            ExtractCommand.self, BenchCommand.self, KMECommand.self, PKICommand.self, KeysCommand.self, NetworkCommand.self,
        ]
    )

    /// Runs the command; any error is one line on standard error and exit code 2 (bad input or a
    /// failed run), never a stack trace.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as QKDError {
            fail(error.message)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            fail(message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
        }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(2)
    }
}
