import Foundation
import QKDCore

/// A child process running this same `qkd` executable, its standard output and error in
/// `NAME.out` and `NAME.log` of a folder.
final class ChildProcess {
    private let process = Process()
    /// The name its output files and messages use.
    let name: String
    private let outputPath: String
    /// Its standard error: its log.
    let logPath: String

    /// Starts `qkd ARGUMENTS`; throws a one-line error if it cannot be started.
    init(_ arguments: [String], name: String, folder: String) throws {
        self.name = name
        outputPath = (folder as NSString).appendingPathComponent("\(name).out")
        logPath = (folder as NSString).appendingPathComponent("\(name).log")
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
              FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw QKDError(.storage, "cannot write the \(name) logs in \(folder)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw QKDError(.storage, "cannot start the \(name) process \(executable) (\(error))")
        }
    }

    private var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Whether the process still runs.
    var isRunning: Bool { process.isRunning }

    /// Its exit status once it has exited (the signal number if a signal ended it), else nil.
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// How it ended: "exited with status N" or "was killed by signal N"; nil while it runs.
    var ending: String? {
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal
            ? "was killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
    }

    /// The last `count` lines of its log, each indented, or "(empty log)".
    func logTail(lines count: Int = 5) -> String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let lines = log.split(separator: "\n").suffix(count)
        return lines.isEmpty ? "    (empty log)" : lines.map { "    " + $0 }.joined(separator: "\n")
    }

    /// The last line the process wrote to its log, without an `error: ` prefix.
    private var lastLogLine: String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        guard let last = log.split(separator: "\n").last else { return "no message" }
        return String(last.hasPrefix("error: ") ? last.dropFirst("error: ".count) : last)
    }

    /// The integer printed after `marker` on standard output, waiting up to `patience` seconds
    /// while the process runs.
    func number(after marker: String, patience: Double) throws -> Int {
        let deadline = Date().addingTimeInterval(patience)
        while true {
            if let range = output.range(of: marker), let value = Int(output[range.upperBound...].prefix { $0.isNumber }) {
                return value
            }
            guard process.isRunning, Date() < deadline else {
                throw QKDError(.protocolFailure, "the \(name) process did not report \"\(marker.trimmingCharacters(in: .whitespaces))\": \(lastLogLine)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Waits until every process has exited; if one fails, stops the others and throws its last
    /// log line.
    static func waitForAll(_ children: [ChildProcess]) throws {
        while children.contains(where: { $0.process.isRunning }) {
            if let failed = children.first(where: { !$0.process.isRunning && $0.process.terminationStatus != 0 }) {
                children.forEach { $0.stop() }
                throw QKDError(.protocolFailure, "the \(failed.name) process failed (exit \(failed.process.terminationStatus)): \(failed.lastLogLine)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        if let failed = children.first(where: { $0.process.terminationStatus != 0 }) {
            throw QKDError(.protocolFailure, "the \(failed.name) process failed (exit \(failed.process.terminationStatus)): \(failed.lastLogLine)")
        }
    }

    /// Terminates the process if it still runs.
    func stop() { if process.isRunning { process.terminate() } }

    /// Asks the process to stop (SIGTERM), waits up to `patience` seconds, then kills it
    /// (SIGKILL) and waits until it is gone, so that it never outlives its parent's run.
    func stopAndWait(patience: Double = 5) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(patience)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
