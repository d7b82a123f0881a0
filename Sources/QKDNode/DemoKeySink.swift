import KeyManagement

/// The demo's sink: inserts keys straight into a key store, opened on the first block with key.
final class DemoKeySink: BlockKeySink {
    private let openStore: () throws -> KeyStore
    private var store: KeyStore?

    init(openStore: @escaping () throws -> KeyStore) { self.openStore = openStore }

    func store(blockID: UInt64, keys: [StoredKey], authenticationSlice: [UInt8]) throws {
        if store == nil { store = try openStore() }
        if !keys.isEmpty { try store!.insert(keys) }
    }

    func peerCommitted(blockID: UInt64) throws {}
}
