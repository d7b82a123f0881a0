import Foundation

/// The folder under the system's temporary directory that holds every test folder of this test
/// process; it is removed, with everything in it, when the process exits.
private let processTemporaryRoot: String = {
    let path = NSTemporaryDirectory() + "qkdkit-tests-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: processTemporaryRoot) }
    return path
}()

/// A fresh folder for one test, inside the process's temporary root (removed at exit).
func temporaryFolder(_ name: String = #function) throws -> String {
    let path = processTemporaryRoot + "/\(name.filter(\.isLetter))-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to a file in `folder` and returns its path.
func writeFile(_ text: String, named name: String, in folder: String) throws -> String {
    let path = folder + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}
