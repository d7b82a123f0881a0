import KeyManagement
import LinkProtocol

/// A node's sink: Alice stores a block's keys as pending and commits them when Bob acknowledges;
/// Bob commits directly (his acknowledgement follows the durable write). Each commit appends the
/// block's authentication slice to the pool, in the same order on both sides.
final class TwoPhaseKeySink: BlockKeySink {
    private let role: LinkDirection
    private let store: SQLiteKeyStore
    private let pool: AuthenticationKeyPool
    private let onCommit: (UInt64, Int) -> Void

    /// `onCommit` receives each committed block and its authentication slice in bits.
    init(role: LinkDirection, store: SQLiteKeyStore, pool: AuthenticationKeyPool, onCommit: @escaping (UInt64, Int) -> Void) {
        self.role = role
        self.store = store
        self.pool = pool
        self.onCommit = onCommit
    }

    func store(blockID: UInt64, keys: [StoredKey], authenticationSlice: [UInt8]) throws {
        if role == .aliceToBob {
            try store.insertPending(blockID: blockID, keys: keys, authenticationSlice: authenticationSlice)
        } else {
            try store.commit(blockID: blockID, keys: keys, authenticationSlice: authenticationSlice)
            pool.append(segment: authenticationSlice)
            onCommit(blockID, authenticationSlice.count * 8)
        }
    }

    func peerCommitted(blockID: UInt64) throws {
        let pending = try store.pendingBlocks()
        guard let slice = pending[blockID] else { return }
        try store.commitPending([blockID], discardingOthers: false)
        pool.append(segment: slice)
        onCommit(blockID, slice.count * 8)
    }
}
