import QKDCore
import Security

/// How sifted bits become keys: block size, key size and the security targets.
public struct PostProcessingConfiguration: Sendable, Equatable {
    /// Sifted Z bits per finite-key block (a block closes at the end of the frame that reaches it).
    public var blockSize: Int
    /// Size of each stored key (bits, a multiple of 8).
    public var keySize: Int
    /// Correctness and secrecy targets.
    public var security: SecurityParameters
    /// The error correction of each block (default Cascade).
    public var reconciliation: ReconciliationSetting

    /// Creates a configuration, validating sizes.
    public init(blockSize: Int, keySize: Int, security: SecurityParameters, reconciliation: ReconciliationSetting = .cascade) throws {
        guard blockSize >= 1000 else {
            throw QKDError(.invalidParameter, "postProcessing.blockSize must be at least 1000 sifted bits, got \(blockSize)")
        }
        guard keySize > 0, keySize % 8 == 0 else {
            throw QKDError(.invalidParameter, "postProcessing.keySize must be a positive multiple of 8 bits, got \(keySize)")
        }
        self.blockSize = blockSize
        self.keySize = keySize
        self.security = security
        self.reconciliation = reconciliation
    }
}
