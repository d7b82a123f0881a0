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
    /// Secret bits of every block that refill the authentication pool (0 in the demo).
    let authenticationReserveBits: Int

    init(configuration: NodeConfiguration, authenticationReserveBits: Int = 0) throws {
        self.authenticationReserveBits = authenticationReserveBits
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

    /// The leading secret bits of a block of `secretBits` that refill the authentication pool:
    /// the reserve, in whole 128-bit units, or less when the block is shorter.
    func authenticationSliceBits(secretBits: Int) -> Int {
        min(authenticationReserveBits, secretBits / 128 * 128)
    }

    /// The number of keys a block of `secretBits` yields after its authentication slice.
    func keyCount(secretBits: Int) -> Int {
        chunker.keyCount(secretBitCount: secretBits - authenticationSliceBits(secretBits: secretBits))
    }

    /// Privacy amplification of `key` with Alice's `order`; the leading slice goes to the
    /// authentication pool and the rest, cut into whole keys, to the key store, both through `sink`.
    func extractAndStore(key: BitVector, order: PrivacyAmplificationOrder, sink: BlockKeySink) throws -> KeyChunks {
        let secret = try ToeplitzHash(inputLength: key.count, outputLength: order.outputLength, seed: order.seed).hash(key)
        let sliceBits = authenticationSliceBits(secretBits: secret.count)
        let slice = sliceBits == 0 ? [] : secret.slice(0..<sliceBits).bytesMSBFirst
        let keyBits = sliceBits == 0 ? secret : secret.slice(sliceBits..<secret.count)
        let chunks = try chunker.chunk(keyBits, blockID: order.blockID, identifiers: order.keyIDs, createdAt: Date(timeIntervalSince1970: 0))
        try sink.store(blockID: order.blockID, keys: chunks.keys, authenticationSlice: slice)
        return chunks
    }
}
