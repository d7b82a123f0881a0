import Foundation
import QKDCore

/// One side's recorded device stream, replayed from a file that `qkd optics --record` wrote.
///
/// The format: the 8 ASCII bytes `QKDTAGS1`, then frames, each a 32-bit big-endian length
/// followed by a `DeviceFrame` encoding (see `DeviceFrame.encoded`). Alice's and Bob's files of
/// one run hold the same frame boundaries, so replaying them on two nodes gives the run again.
public final class RecordedTimeTagFile: QuantumDevice, @unchecked Sendable {
    /// The file's first bytes.
    public static let magic = Array("QKDTAGS1".utf8)
    private let bytes: [UInt8]
    private let path: String
    private var offset: Int

    /// Opens a recorded file, checking its header.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QKDError(.notFound, "cannot read time-tag file \(path)")
        }
        bytes = [UInt8](data)
        guard bytes.starts(with: Self.magic) else {
            throw QKDError(.malformedInput, "\(path) is not a QKDKit time-tag file (no QKDTAGS1 header)")
        }
        self.path = path
        offset = Self.magic.count
    }

    /// The next recorded frame, or nil at the end of the file.
    public func nextFrame() throws -> DeviceFrame? {
        guard offset < bytes.count else { return nil }
        guard offset + 4 <= bytes.count else { throw QKDError(.malformedInput, "time-tag file \(path) ends inside a frame length") }
        let length = Int(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard offset + 4 + length <= bytes.count else { throw QKDError(.malformedInput, "time-tag file \(path) ends inside a frame") }
        defer { offset += 4 + length }
        do {
            return try DeviceFrame(decoding: Array(bytes[offset + 4..<offset + 4 + length]))
        } catch let error as QKDError {
            throw QKDError(.malformedInput, "time-tag file \(path): \(error.message)")
        }
    }

    /// Nothing to stop: reading a file never blocks.
    public func stop() {}
}
