import Foundation

/// The `curl` command line as an HTTPS client for tests, run without blocking a thread.
enum Curl {
    /// What one `curl` run gave: its exit code, the HTTP status (0 if none) and the body.
    struct Result: Sendable {
        let exitCode: Int32
        let status: Int
        let body: Data

        /// The body as a JSON object, or nil.
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
    }

    /// Runs `curl -s --max-time 10 ARGUMENTS`, the body written to a temporary file.
    static func run(_ arguments: [String]) async throws -> Result {
        let bodyFile = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: bodyFile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "10", "-o", bodyFile.path, "-w", "%{http_code}"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (exited, continuation) = AsyncStream.makeStream(of: Void.self)
        process.terminationHandler = { _ in continuation.finish() }
        try process.run()
        for await _ in exited {}
        // A cancelled task (a test past its time limit) leaves the loop early: stop curl and
        // answer "no response" (reading the status of a running process would trap).
        if process.isRunning {
            process.terminate()
            return Result(exitCode: -1, status: 0, body: Data())
        }
        let statusText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(
            exitCode: process.terminationStatus,
            status: Int(statusText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            body: (try? Data(contentsOf: bodyFile)) ?? Data()
        )
    }
}
