import Foundation

/// A fresh folder under the system's temporary directory, for one test.
func temporaryFolder(_ name: String = #function) throws -> String {
    let path = NSTemporaryDirectory() + "qkdkit-\(name.filter(\.isLetter))-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to a file in `folder` and returns its path.
func writeFile(_ text: String, named name: String, in folder: String) throws -> String {
    let path = folder + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}
