/// The degree profile of the base (proto) graph of one mother code of the LDPC family: how many
/// of its `baseColumnCount` variable nodes have each degree, and how many check nodes it has.
///
/// Source: the irregular degree distributions optimised for the binary symmetric channel by
/// density evolution in D. Elkouss, A. Leverrier, R. Alléaume, J. J. Boutros, "Efficient
/// reconciliation protocol for discrete-variable quantum key distribution", ISIT 2009,
/// arXiv:0901.2140, rates 0.5 to 0.9 in steps of 0.05, as realised on 800-column base matrices
/// by XQP-Munich/LDPC4QKD (`codes/ldpc/lrate_*_block_819k`, whose column-degree histograms we
/// read and list here as numbers; no code or matrix of that project is used). Check degrees are
/// concentrated: every check gets `⌊E/m⌋` or `⌈E/m⌉` edges, `E` the number of edges.
///
/// Except rates 0.85 and 0.60, which are ours, each the profile above with columns moved from
/// degree 3 to degree 2, chosen by density evolution and measurement (BENCHMARKS.md, "Mother
/// codes of rate 0.85 and 0.60 with more degree-2 symbols", 27 Nov 2026). Density evolution:
/// Monte-Carlo on the BSC (population dynamics, 40 000 samples, 200 iterations, the same random
/// stream for every profile), threshold `f* = (1 − R) / h(p*)`. Both keep their degree-2 edge
/// fraction below the BSC stability limit `1 / (B ρ′(1))` at their threshold
/// (`B = 2 √(p(1 − p))`, `ρ′(1)` the mean check degree less one, over edges).
/// - Rate 0.85 (the mother code for QBER of about 1.3 % to 2.1 %): 190 degree-2 base columns
///   instead of 107 and the top degree raised from 21 to 25 (5309 edges instead of 4944, so
///   checks of degree 44 or 45 instead of 41 or 42); degree-2 edge fraction 0.072, limit 0.082.
///   f* 1.056 instead of 1.075; at n = 10^5 and QBER 2 % (codes of 800 × 137 symbols) the
///   frames' decoding thresholds average 1.083 instead of 1.102. Lowering the top degree
///   instead (15 or 12, with fewer edges) moves f* the wrong way (1.112, 1.175).
/// - Rate 0.60 (QBER of about 6.5 % to 7.7 %): 300 degree-2 base columns instead of 260;
///   degree-2 edge fraction 0.130, limit 0.140. f* 1.032 instead of 1.040; at n = 10^5 and
///   QBER 7 % (800 × 133 symbols) the frames' decoding thresholds average 1.072 instead of 1.085.
public struct LDPCDegreeProfile: Sendable {
    /// The design rate `1 − checks / columns` of the mother code.
    public let rate: Double
    /// The number of check nodes (rows) of the base graph.
    public let baseCheckCount: Int
    /// `(degree, number of base columns with that degree)`, ascending by degree.
    public let variableDegreeCounts: [(degree: Int, count: Int)]

    /// The number of variable nodes (columns) of every base graph of the family.
    public static let baseColumnCount = 800

    /// The number of edges of the base graph.
    public var baseEdgeCount: Int { variableDegreeCounts.reduce(0) { $0 + $1.degree * $1.count } }

    /// The family, by increasing rate: 0.50, 0.55, …, 0.90, covering QBER from about 1 % to 11 %.
    public static let family: [LDPCDegreeProfile] = [
        .init(rate: 0.50, baseCheckCount: 400, [(2, 319), (3, 279), (4, 20), (5, 2), (6, 35), (8, 30), (9, 27), (10, 6), (14, 20), (15, 38), (17, 4), (47, 1), (49, 1), (57, 8), (58, 5), (59, 4), (66, 1)]),
        .init(rate: 0.55, baseCheckCount: 360, [(2, 326), (3, 270), (6, 116), (15, 10), (16, 6), (18, 50), (19, 12), (31, 10)]),
        .init(rate: 0.60, baseCheckCount: 320, [(2, 300), (3, 287), (8, 83), (9, 78), (26, 26), (27, 16), (46, 1), (71, 9)]),
        .init(rate: 0.65, baseCheckCount: 280, [(2, 262), (3, 261), (4, 100), (5, 1), (9, 68), (13, 40), (15, 36), (21, 1), (51, 31)]),
        .init(rate: 0.70, baseCheckCount: 240, [(2, 130), (3, 476), (6, 7), (9, 84), (12, 49), (25, 39), (46, 10), (62, 2), (65, 3)]),
        .init(rate: 0.75, baseCheckCount: 200, [(2, 274), (3, 161), (4, 18), (5, 140), (6, 90), (7, 38), (28, 2), (31, 77)]),
        .init(rate: 0.80, baseCheckCount: 160, [(2, 223), (3, 284), (6, 95), (7, 57), (8, 58), (17, 20), (26, 63)]),
        .init(rate: 0.85, baseCheckCount: 120, [(2, 190), (3, 239), (4, 70), (5, 88), (6, 67), (7, 8), (9, 26), (25, 112)]),
        .init(rate: 0.90, baseCheckCount: 80, [(2, 155), (3, 375), (5, 71), (9, 88), (12, 102), (21, 9)]),
    ]

    private init(rate: Double, baseCheckCount: Int, _ counts: [(Int, Int)]) {
        self.rate = rate
        self.baseCheckCount = baseCheckCount
        self.variableDegreeCounts = counts.map { (degree: $0.0, count: $0.1) }
    }
}
