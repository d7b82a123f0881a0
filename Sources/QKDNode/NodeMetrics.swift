import Metrics

/// A node's metrics (swift-metrics; any backend bootstrapped by the process receives them).
struct NodeMetrics {
    let blocksDone: Counter
    let secretBits: Counter
    let qber: Gauge
    let authenticationPoolBits: Gauge
    let authenticationBitsConsumed: Counter
    let peerRoundTrip: Metrics.Timer
    private let dimensions: [(String, String)]

    init(role: String) {
        let dimensions = [("role", role)]
        blocksDone = Counter(label: "qkd_blocks_done", dimensions: dimensions)
        secretBits = Counter(label: "qkd_secret_bits", dimensions: dimensions)
        qber = Gauge(label: "qkd_qber_z", dimensions: dimensions)
        authenticationPoolBits = Gauge(label: "qkd_authentication_pool_bits", dimensions: dimensions)
        authenticationBitsConsumed = Counter(label: "qkd_authentication_bits_consumed", dimensions: dimensions)
        peerRoundTrip = Metrics.Timer(label: "qkd_peer_round_trip", dimensions: dimensions)
        self.dimensions = dimensions
    }

    /// Bits disclosed by error correction, by method (`cascade`, `ldpc`).
    func disclosedBits(method: String) -> Counter {
        Counter(label: "qkd_reconciliation_disclosed_bits", dimensions: dimensions + [("method", method)])
    }

    /// The efficiency f = disclosed / (n h(QBER)) of the latest block, by method.
    func efficiency(method: String) -> Gauge {
        Gauge(label: "qkd_reconciliation_efficiency", dimensions: dimensions + [("method", method)])
    }
}
