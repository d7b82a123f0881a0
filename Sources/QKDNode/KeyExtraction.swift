import Distillation
import Foundation
import KeyManagement
import LinkProtocol
import QKDCore
import Security

/// The steps both sides run identically at the end of a block: the security analysis, privacy
/// amplification and storage of the keys. Keeping them in one place guarantees that Alice and
/// Bob compute the same length from the same public numbers.
struct KeyExtraction {
    let analysis: ThreeStateFiniteKeyAnalysis
    let chunker: KeyChunker

    init(configuration: NodeConfiguration) throws {
        analysis = ThreeStateFiniteKeyAnalysis(
            protocolDescription: try configuration.protocolDescription, security: configuration.postProcessing.security)
        chunker = try KeyChunker(keySizeBits: configuration.postProcessing.keySize)
    }

    /// The secret length for public `counts` and `leakage` disclosed bits.
    func bound(counts: ThreeStateCounts, leakage: Int) throws -> SecretKeyBound {
        try analysis.secretKey(counts: counts, leakage: leakage)
    }

    /// True when the block cannot give key even if error correction disclosed nothing: both sides
    /// then abandon it before error correction.
    func isHopeless(counts: ThreeStateCounts) throws -> SecretKeyBound? {
        let best = try bound(counts: counts, leakage: 0)
        return best.secretBits > 0 ? nil : best
    }

    /// Privacy amplification of `key` with Alice's `order`, then storage of whole keys.
    func extractAndStore(key: BitVector, order: PrivacyAmplificationOrder, store: KeyStore) throws -> KeyChunks {
        let secret = try ToeplitzHash(inputLength: key.count, outputLength: order.outputLength, seed: order.seed).hash(key)
        let chunks = try chunker.chunk(secret, blockID: order.blockID, identifiers: order.keyIDs, createdAt: Date(timeIntervalSince1970: 0))
        if !chunks.keys.isEmpty { try store.insert(chunks.keys) }
        return chunks
    }
}
