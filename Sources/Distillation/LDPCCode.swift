import QKDCore

/// A binary LDPC code given by its sparse parity-check matrix `H` (`checkCount × variableCount`),
/// stored row by row in flat arrays, plus the order in which its symbols may be punctured.
///
/// Codes of the reconciliation family are built by `LDPCQuasiCyclicConstruction` from an
/// `Identifier` and cached by `LDPCCodeCache`; both sides of a link rebuild the same code bit
/// for bit from the identifier, so no matrix ever travels over the network.
public struct LDPCCode: Sendable {
    /// What determines a code of the family completely.
    public struct Identifier: Sendable, Hashable, CustomStringConvertible {
        /// The index of the mother code's degree profile in `LDPCDegreeProfile.family`.
        public let profileIndex: Int
        /// The size `Z` of the circulant permutation matrices the base graph is lifted with; the
        /// code has `LDPCDegreeProfile.baseColumnCount · Z` symbols.
        public let liftingFactor: Int
        /// The seed of the construction's pseudo-random choices.
        public let seed: UInt64

        /// Creates an identifier.
        public init(profileIndex: Int, liftingFactor: Int, seed: UInt64) {
            self.profileIndex = profileIndex
            self.liftingFactor = liftingFactor
            self.seed = seed
        }

        /// The degree profile of the mother code.
        public var profile: LDPCDegreeProfile { LDPCDegreeProfile.family[profileIndex] }

        /// For example "rate 0.85, 800x128 = 102400 bits, seed 1".
        public var description: String {
            let length = LDPCDegreeProfile.baseColumnCount * liftingFactor
            return "rate \(profile.rate), \(LDPCDegreeProfile.baseColumnCount)x\(liftingFactor) = \(length) bits, seed \(seed)"
        }
    }

    /// The identifier the code was built from.
    public let identifier: Identifier
    /// The code length `N` (columns of `H`).
    public let variableCount: Int
    /// The number of parity checks (rows of `H`), the syndrome length.
    public let checkCount: Int
    /// Row `r` of `H` holds the columns `edgeVariable[rowStart[r] ..< rowStart[r + 1]]`.
    let rowStart: [Int32]
    /// The column of every edge, row by row.
    let edgeVariable: [Int32]
    /// Symbols that can be punctured, in the order they are punctured: untainted puncturing
    /// (D. Elkouss, J. Martinez-Mateo, V. Martin, "Untainted puncturing for irregular
    /// low-density parity-check codes", IEEE Wireless Commun. Lett. 1 (2012) 585): no check
    /// touches two of them, so every punctured symbol has its own checks, which keeps the
    /// punctured columns of `H` linearly independent (see `LDPCFrameLayout` for why that matters
    /// to the disclosed-bit count).
    public let puncturingOrder: [Int32]
    /// `H` in the decoder kernel's block layout.
    let blockLayout: LDPCBlockLayout

    init(identifier: Identifier, variableCount: Int, rowStart: [Int32], edgeVariable: [Int32], puncturingOrder: [Int32]) {
        self.identifier = identifier
        self.variableCount = variableCount
        self.checkCount = rowStart.count - 1
        self.rowStart = rowStart
        self.edgeVariable = edgeVariable
        self.puncturingOrder = puncturingOrder
        blockLayout = LDPCBlockLayout(rowStart: rowStart, edgeVariable: edgeVariable, variableCount: variableCount, lifting: identifier.liftingFactor)
    }

    /// The number of ones in `H`.
    public var edgeCount: Int { edgeVariable.count }

    /// The largest number of ones in a row of `H`.
    public var maximumRowDegree: Int {
        (0..<checkCount).reduce(0) { Swift.max($0, Int(rowStart[$1 + 1] - rowStart[$1])) }
    }

    /// The syndrome `H x` of a frame given as one byte (0 or 1) per symbol.
    func syndrome(ofFrame frame: [UInt8]) -> [UInt8] {
        precondition(frame.count == variableCount, "frame length does not match the code")
        var syndrome = [UInt8](repeating: 0, count: checkCount)
        frame.withUnsafeBufferPointer { bits in
            edgeVariable.withUnsafeBufferPointer { columns in
                for row in 0..<checkCount {
                    var parity: UInt8 = 0
                    for edge in Int(rowStart[row])..<Int(rowStart[row + 1]) { parity ^= bits[Int(columns[edge])] }
                    syndrome[row] = parity
                }
            }
        }
        return syndrome
    }
}
