import Foundation

/// A fresh directory under the system temporary directory, deleted with its contents when the
/// value is released.
final class TemporaryDirectory {
    /// The directory's path.
    let path: String

    /// Creates a new, empty, uniquely named directory.
    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("KeyManagementTests-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }
}
