/// The stability figure of `qkd run --plot`, after the reference experiment's: the QBER in Z
/// and X (%) and the secret key rate (bit/s) of every block versus link time (h), with the QBER
/// alarm's limit, on `SVGPlot`'s logarithmic axis. It holds one point per block.
public struct StabilityChart: Sendable {
    private var qberZ: [(x: Double, y: Double?)] = []
    private var qberX: [(x: Double, y: Double?)] = []
    private var keyRate: [(x: Double, y: Double?)] = []

    /// Creates an empty chart.
    public init() {}

    /// Adds one block, plotted at its middle.
    public mutating func add(_ row: StabilityBlockRow) {
        let hours = (row.startSeconds + row.durationSeconds / 2) / 3600
        qberZ.append((hours, row.siftedBits > 0 ? row.qberZ * 100 : nil))
        qberX.append((hours, row.qberX * 100))
        keyRate.append((hours, row.durationSeconds > 0 ? Double(row.secretBits) / row.durationSeconds : nil))
    }

    /// The SVG document for a run summarised by `summary`.
    public func svg(summary: StabilitySummary) -> String {
        let span = [0, summary.durationSeconds / 3600]
        let limit = summary.alarmQberX * 100
        let drift = summary.phaseDiffusion.map { "drift \($0) rad/√s" } ?? "no drift"
        return SVGPlot(
            title: "\(summary.preset), \(drift), phase lock \(summary.controllers ? "on" : "off")",
            xLabel: "link time (h)", yLabel: "QBER (%), secret key rate (bit/s)",
            lines: [
                SVGPlot.Line(label: "QBER Z (%)", color: "#1f77b4", points: qberZ),
                SVGPlot.Line(label: "QBER X (%)", color: "#d62728", points: qberX),
                SVGPlot.Line(label: "secret key rate (bit/s)", color: "#2ca02c", points: keyRate),
                SVGPlot.Line(label: "QBER alarm limit (%)", color: "black", dashed: true, points: span.map { ($0, limit) }),
            ]
        ).svg
    }
}
