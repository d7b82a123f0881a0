import Distillation
import LinkProtocol
import QKDCore

/// Chooses each block's error-correction method from its estimated QBER and size; the method's
/// parameters then follow from the same two numbers and the price of a round trip
/// (``cascadeParameters(estimatedQBER:blockSize:)``, `LDPCRateAdaptation.plan(blockSize:estimatedQBER:)`).
///
/// With `auto`, the rule is: take the method whose expected key cost for the block is smaller,
/// the cost being the bits it discloses, `f · n · h(QBER)`, plus `roundTripCostBits` per round
/// trip. On a node's link every round trip is two authenticated frames, each spending a 64-bit
/// one-time pad of secret key (`WegmanCarterAuthenticator.padBitCount`) that the blocks must
/// refill (`NodeSettings.authenticationReserveBits`), so Cascade's hundreds of round trips can
/// cost more key than LDPC's worse efficiency; on the unauthenticated in-process channel of
/// `qkd demo` a round trip costs nothing and the lower `f` wins. (When several blocks are in
/// flight their messages share frames, so the per-block figure is an upper bound; it is exact
/// with one block in flight, as on the 120 km link, where a block takes about 47 minutes to fill.)
/// LDPC is a candidate only where its codes serve the QBER (`LDPCRateAdaptation.supportedQBER`),
/// the block has at least `minimumLDPCBlockSize` bits (the size its efficiency was measured at),
/// and the estimate is the Z-basis QBER a previous block measured: LDPC's rate is fixed by the
/// estimate before decoding, so a first block, whose estimate comes from the X basis (9.6 %
/// against 6.8 % in Z on the 120 km link), would disclose far too much, while Cascade adapts
/// to the errors it finds. Ties go to Cascade.
///
/// The expected figures are the means measured in BENCHMARKS.md (`qkd bench reconcile`):
/// Cascade `f` 1.045-1.07 over 2^14 to 8·10^5 bits and QBER 1-7 % (26 Nov 2026, taken as
/// `cascadeEfficiency`), its round trips with every pass searched at once about
/// `40 log₂(n · QBER) − 190` (a fit within 20 % of the measured 110-440); LDPC `f` 1.083 at QBER
/// 2 % and 1.074 at 7 % at 10^5 bits (27 Nov 2026: QBER-dependent start and 0.0025 blind step,
/// mother codes of rate 0.85 and 0.60 with more degree-2 symbols; interpolated linearly in
/// between, held constant outside), about `ldpcRoundTrips` round trips.
public struct ReconciliationSelector: Sendable, Equatable {
    /// Cascade, LDPC, or the cheaper by the rule above.
    public var setting: ReconciliationSetting
    /// Secret bits one round trip costs (0 on an unauthenticated channel).
    public var roundTripCostBits: Double

    /// The round-trip cost on a node's authenticated link: two frames, each a 64-bit pad.
    public static let authenticatedRoundTripCostBits = Double(2 * WegmanCarterAuthenticator.padBitCount)
    /// The smallest block `auto` gives to LDPC.
    public static let minimumLDPCBlockSize = 100_000
    /// Cascade's expected efficiency.
    public static let cascadeEfficiency = 1.06
    /// LDPC's expected round trips (measured 11.6 at QBER 7 % and 18.8 at 2 %, 10^5 bits).
    public static let ldpcRoundTrips = 20.0
    /// The LDPC rate-adaptation settings of every LDPC block (Alice's plan, Bob's iterations).
    static let ldpcAdaptation = LDPCRateAdaptation()
    /// LDPC's measured efficiencies, (QBER, f), by QBER.
    static let ldpcEfficiencyPoints: [(qber: Double, efficiency: Double)] = [(0.02, 1.083), (0.07, 1.074)]

    /// Creates a selector.
    public init(setting: ReconciliationSetting, roundTripCostBits: Double) {
        self.setting = setting
        self.roundTripCostBits = roundTripCostBits
    }

    /// The method for a block of `blockSize` bits at `estimatedQBER`, measured in the Z basis by
    /// a previous block or not (`measuredByPreviousBlock`).
    public func method(estimatedQBER: Double, blockSize: Int, measuredByPreviousBlock: Bool) -> ReconciliationMethod {
        let ldpcServes = LDPCRateAdaptation.supportedQBER.contains(estimatedQBER)
        switch setting {
        case .cascade:
            return .cascade
        case .ldpc:
            return ldpcServes ? .ldpc : .cascade
        case .auto:
            guard ldpcServes, measuredByPreviousBlock, blockSize >= Self.minimumLDPCBlockSize,
                  let ldpc = expectedCost(of: .ldpc, estimatedQBER: estimatedQBER, blockSize: blockSize),
                  let cascade = expectedCost(of: .cascade, estimatedQBER: estimatedQBER, blockSize: blockSize) else { return .cascade }
            return ldpc < cascade ? .ldpc : .cascade
        }
    }

    /// Cascade's parameters for a block of `blockSize` bits at `estimatedQBER`:
    /// `CascadeParameters.tuned(forQBER:blockSize:)`,
    /// searching the lowest pass first (fewer disclosed bits, about twice the round trips) only
    /// where a round trip costs no key. On an authenticated link the extra round trips cost
    /// 128 bits of pad each, far more than the parities they save (about 0.007 n h(QBER) against
    /// several hundred round trips per 8·10^5-bit block; BENCHMARKS.md, Cascade section), so
    /// every pass's odd blocks are searched at once.
    public func cascadeParameters(estimatedQBER: Double, blockSize: Int) -> CascadeParameters {
        var parameters = CascadeParameters.tuned(forQBER: estimatedQBER, blockSize: blockSize)
        parameters.searchesLowestPassFirst = roundTripCostBits == 0
        return parameters
    }

    /// The expected key cost (bits) of reconciling the block with `method`: disclosed bits plus
    /// `roundTripCostBits` per round trip; nil for a QBER outside (0, 0.5) or an empty block.
    public func expectedCost(of method: ReconciliationMethod, estimatedQBER: Double, blockSize: Int) -> Double? {
        guard estimatedQBER > 0, estimatedQBER < 0.5, blockSize > 0 else { return nil }
        let entropy = Double(blockSize) * QKDMath.binaryEntropy(estimatedQBER)
        switch method {
        case .cascade:
            let roundTrips = max(20, 40 * QKDMath.log2Of(Double(blockSize) * estimatedQBER) - 190)
            return Self.cascadeEfficiency * entropy + roundTripCostBits * roundTrips
        case .ldpc:
            return Self.ldpcEfficiency(estimatedQBER: estimatedQBER) * entropy + roundTripCostBits * Self.ldpcRoundTrips
        }
    }

    /// LDPC's expected efficiency at `estimatedQBER` (linear between the measured points).
    static func ldpcEfficiency(estimatedQBER: Double) -> Double {
        let points = ldpcEfficiencyPoints
        guard estimatedQBER > points[0].qber else { return points[0].efficiency }
        guard estimatedQBER < points[points.count - 1].qber else { return points[points.count - 1].efficiency }
        let upper = points.firstIndex { $0.qber >= estimatedQBER }!
        let (low, high) = (points[upper - 1], points[upper])
        return low.efficiency + (high.efficiency - low.efficiency) * (estimatedQBER - low.qber) / (high.qber - low.qber)
    }

    /// The link-protocol name of a method.
    static func wireMethod(_ method: ReconciliationMethod) -> BlockStart.Method {
        switch method {
        case .cascade: .cascade
        case .ldpc: .ldpc
        }
    }
}
