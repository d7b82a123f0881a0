@testable import Distillation
import Testing

/// `CascadeScratchPool` hands a given-back buffer to the next request of about its size. The
/// sizes here (30 MB, 10 MB) are far above any other test's requests, which could otherwise take
/// the buffer in between (tests run in parallel).
@Suite struct CascadeScratchPoolTests {
    @Test func recyclesABufferForARequestOfAboutItsSize() {
        let count = 30_000_001
        let first = CascadeScratchPool.take(UInt8.self, count: count)
        first[count - 1] = 7
        CascadeScratchPool.give(first, count: count)
        let second = CascadeScratchPool.take(UInt8.self, count: count)
        #expect(second == first)
        CascadeScratchPool.give(second, count: count)
        // A request of less than half its size gets fresh memory instead.
        let small = CascadeScratchPool.take(UInt8.self, count: count / 3)
        #expect(small != first)
        CascadeScratchPool.give(small, count: count / 3)
    }
}
