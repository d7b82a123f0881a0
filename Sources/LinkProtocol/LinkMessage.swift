import Distillation
import Foundation
import QKDCore

/// Every message Alice and Bob exchange over the classical channel, per frame of pulses and per
/// distillation block.
public enum LinkMessage: Sendable, Equatable {
    /// Bob to Alice: his results of one frame (sifting, step 1).
    case siftingAnnouncement(SiftingAnnouncement)
    /// Alice to Bob: her bases, and her states for X results (sifting, step 2).
    case siftingReply(SiftingReply)
    /// Bob to Alice: close block `blockID` with this many sifted bits over this many pulses and
    /// reconcile it with the method it names, started from `estimatedQBER`.
    case blockStart(BlockStart)
    /// Either way: one Cascade message of a block.
    case cascade(blockID: UInt64, CascadeMessage)
    /// Either way: one LDPC message of a block (Alice sends the syndrome and reveals, Bob
    /// answers).
    case ldpc(blockID: UInt64, LDPCMessage)
    /// Either way: the sender hit an error that concerns only block `blockID` (a malformed or
    /// out-of-turn reconciliation message) and has discarded it; the receiver discards it too.
    case blockDiscarded(blockID: UInt64, reason: String)
    /// Alice to Bob: the verification hash key she drew and her tag.
    case verificationTag(blockID: UInt64, hashKey: [UInt64], tag: [UInt64])
    /// Bob to Alice: whether his tag matched; on a mismatch both discard the block.
    case verificationResult(blockID: UInt64, matched: Bool)
    /// Alice to Bob: the block cannot give key whatever error correction does, so it is
    /// abandoned and Alice reveals its bits (now worthless) so that Bob can measure the QBER.
    case abandonedBlock(blockID: UInt64, aliceBits: BitVector)
    /// Alice to Bob: the Toeplitz seed and output length of privacy amplification, and the IDs
    /// under which the resulting keys are stored on both sides.
    case privacyAmplification(PrivacyAmplificationOrder)
    /// Bob to Alice: Bob has durably stored the keys of block `blockID` (the second phase of the
    /// two-phase commit: Alice's pending keys of the block become final).
    case blockCommitted(blockID: UInt64)
}

/// The opening of a distillation block, from Bob.
public struct BlockStart: Sendable, Equatable {
    /// The block's number (0, 1, ...).
    public var blockID: UInt64
    /// Sifted Z bits in the block.
    public var siftedBits: Int
    /// Pulses the block covers.
    public var pulses: UInt64
    /// The QBER the reconciliation is tuned for (Cascade's block sizes, the LDPC code and rate).
    public var estimatedQBER: Double
    /// The error-correction method Bob chose for the block.
    public var method: Method

    /// The error-correction method of a block.
    public enum Method: UInt8, Sendable, Equatable, CaseIterable {
        /// Cascade (`CascadeAlice`, `CascadeBob`): Bob asks parities, Alice answers.
        case cascade = 0
        /// Rate-adaptive LDPC (`LDPCAlice`, `LDPCBob`): Alice sends a syndrome, Bob decodes.
        case ldpc = 1
    }

    /// Creates a block opening.
    public init(blockID: UInt64, siftedBits: Int, pulses: UInt64, estimatedQBER: Double, method: Method = .cascade) {
        self.blockID = blockID
        self.siftedBits = siftedBits
        self.pulses = pulses
        self.estimatedQBER = estimatedQBER
        self.method = method
    }
}

/// Alice's instruction for privacy amplification of one block.
public struct PrivacyAmplificationOrder: Sendable, Equatable {
    /// The block.
    public var blockID: UInt64
    /// Secret bits to extract.
    public var outputLength: Int
    /// Toeplitz seed of `siftedBits + outputLength - 1` bits.
    public var seed: BitVector
    /// Key IDs for the stored keys, in order.
    public var keyIDs: [UUID]

    /// Creates an order.
    public init(blockID: UInt64, outputLength: Int, seed: BitVector, keyIDs: [UUID]) {
        self.blockID = blockID
        self.outputLength = outputLength
        self.seed = seed
        self.keyIDs = keyIDs
    }
}
