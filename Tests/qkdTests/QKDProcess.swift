import Foundation

/// A process of the built `qkd`, its standard output and error in files of a test folder.
final class QKDProcess {
    let process = Process()
    let outputPath: String
    let errorPath: String

    init(_ arguments: [String], in folder: String, name: String) throws {
        outputPath = folder + "/\(name).out"
        errorPath = folder + "/\(name).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = qkdExecutable()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// The number after `marker` in the output, waiting up to `seconds` for it to appear.
    func port(after marker: String, seconds: Double = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let range = output.range(of: marker) {
                let digits = output[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CancellationError()
    }

    /// Lines of standard error containing `marker`.
    func errorLines(containing marker: String) -> [String] {
        errors.split(separator: "\n").map(String.init).filter { $0.contains(marker) }
    }

    /// Waits up to `seconds` until standard error holds `count` lines containing `marker`;
    /// returns whether it did.
    func waitForErrorLines(containing marker: String, count: Int = 1, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if errorLines(containing: marker).count >= count { return true }
            if !process.isRunning { return errorLines(containing: marker).count >= count }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// Waits for the exit, killing the process after `seconds` (so a hang cannot block CI).
    func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits for it to be gone.
    func killHard() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Asks the process to stop (SIGTERM) and kills it if it is still running 3 s later, so that
    /// no process outlives its test (`qkd optics` waiting for a node ignored SIGTERM).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        killHard()
    }
}
