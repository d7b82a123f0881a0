import Dispatch
import QKDCore

/// The codes of the LDPC family built so far in this process, by identifier.
///
/// Codes are generated at first use (`LDPCQuasiCyclicConstruction`, a fraction of a second for
/// 10^5-bit codes in a release build) and kept for the life of the process; nothing is shipped
/// or written to disk.
public final class LDPCCodeCache: @unchecked Sendable {
    /// The process-wide cache.
    public static let shared = LDPCCodeCache()

    private let queue = DispatchQueue(label: "QKDKit.LDPCCodeCache")
    private var codes: [LDPCCode.Identifier: LDPCCode] = [:]

    /// Creates an empty cache.
    public init() {}

    /// The code of `identifier`, built now if it is not cached yet.
    public func code(_ identifier: LDPCCode.Identifier) throws -> LDPCCode {
        try queue.sync {
            if let code = codes[identifier] { return code }
            let code = try LDPCQuasiCyclicConstruction.code(identifier)
            codes[identifier] = code
            return code
        }
    }
}
