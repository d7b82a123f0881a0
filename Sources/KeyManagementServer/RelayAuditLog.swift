import Foundation

/// The audit log of a relaying KME: one line per event, `TIMESTAMP KME_ID text`, appended to a
/// file (or written to standard error). Lines name keys by ID and size, never their material.
final class RelayAuditLog: @unchecked Sendable {
    private let kmeID: String
    private let path: String?
    private let lock = NSLock()

    /// A log of `kmeID`'s events, appended to `path` (created if missing), or to standard error if nil.
    init(kmeID: String, path: String?) {
        self.kmeID = kmeID
        self.path = path
    }

    /// Appends `line`. A log that cannot be written is reported on standard error, never fatal.
    func record(_ line: String) {
        let text = "\(Date().formatted(.iso8601)) \(kmeID) \(line)\n"
        lock.lock()
        defer { lock.unlock() }
        guard let path else {
            FileHandle.standardError.write(Data(text.utf8))
            return
        }
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            FileHandle.standardError.write(Data("cannot write audit log \(path): \(text)".utf8))
            return
        }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }
}
