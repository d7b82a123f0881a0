import Foundation

/// Recycles the per-block table of Cascade's ranked second pass, the region rank of every key
/// index (`CascadeLikelihoodRanking`): every block of a run needs one of the same size, and
/// memory fresh from the system costs a page fault per 4 KiB and a cache miss per line on first
/// touch (most of the ranking's cost at 10^5 bits before this pool, when the ranking also kept
/// four tables per position). A buffer given back is handed out again to the next request of
/// at least its size.
///
/// Thread-safe; keeps at most `capacity` buffers and `byteCapacity` bytes (the oldest go first).
enum CascadeScratchPool {
    /// A buffer: its memory and its size in bytes.
    private struct Buffer {
        let memory: UnsafeMutableRawPointer
        let byteCount: Int
    }

    private nonisolated(unsafe) static var idle: [Buffer] = []
    /// The bytes held by `idle`.
    private nonisolated(unsafe) static var idleBytes = 0
    private static let lock = NSLock()
    /// How many idle buffers are kept (a few per thread reconciling blocks).
    private static let capacity = 16
    /// How many idle bytes are kept: the tables of a few 10^6-bit blocks.
    private static let byteCapacity = 32 << 20

    /// Uninitialized memory for `count` values of `type`, from an idle buffer if one is large
    /// enough; give it back with `give(_:count:)`.
    static func take<Element>(_ type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
        let byteCount = max(1, count) * MemoryLayout<Element>.stride
        lock.lock()
        let index = idle.lastIndex { $0.byteCount >= byteCount && $0.byteCount <= 2 * byteCount }
        let buffer = index.map { idle.remove(at: $0) }
        idleBytes -= buffer?.byteCount ?? 0
        lock.unlock()
        let memory = buffer?.memory
            ?? UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: MemoryLayout<UInt64>.alignment)
        return memory.bindMemory(to: Element.self, capacity: max(1, count))
    }

    /// Gives back memory from `take(_:count:)` (with the same `count`); it must no longer be used.
    static func give<Element>(_ pointer: UnsafeMutablePointer<Element>, count: Int) {
        let buffer = Buffer(memory: UnsafeMutableRawPointer(pointer), byteCount: max(1, count) * MemoryLayout<Element>.stride)
        var evicted: [UnsafeMutableRawPointer] = []
        lock.lock()
        idle.append(buffer)
        idleBytes += buffer.byteCount
        while idle.count > capacity || idleBytes > byteCapacity {
            let oldest = idle.removeFirst()
            idleBytes -= oldest.byteCount
            evicted.append(oldest.memory)
        }
        lock.unlock()
        for memory in evicted { memory.deallocate() }
    }
}
