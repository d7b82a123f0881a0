import Foundation

/// The folder under the system's temporary directory that holds every scratch file and folder of
/// this test process; it is removed, with everything in it, when the process exits (the tests'
/// own `defer` removals free space sooner, this catches the rest: failed expectations that
/// return early, runs stopped by a time limit).
private let processScratchRoot: String = {
    let path = NSTemporaryDirectory() + "qkd-tests-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: processScratchRoot) }
    return path
}()

/// A fresh, not yet existing path `NAME-UUID` + `suffix` inside the process's scratch root.
func scratchPath(_ name: String, suffix: String = "") -> String {
    processScratchRoot + "/\(name)-\(UUID().uuidString)\(suffix)"
}
