/// The stability figure of `qkd run --plot`, after the reference experiment's: the QBER in Z
/// and X (%) and the secret key rate (bit/s) of every block versus link time (h), the X QBER of
/// every frame (paused ones included, averaged over `frameBins` equal bins of the run, so that
/// a lost lock shows even though its frames give no block), and the alarm's limit, on
/// `SVGPlot`'s logarithmic axis. It holds one point per block and per bin.
public struct StabilityChart: Sendable {
    /// Bins of the frame QBER line.
    public static let frameBins = 288
    private let durationSeconds: Double
    private var qberZ: [(x: Double, y: Double?)] = []
    private var qberX: [(x: Double, y: Double?)] = []
    private var keyRate: [(x: Double, y: Double?)] = []
    private var frameQberSums = [Double](repeating: 0, count: StabilityChart.frameBins)
    private var frameCounts = [Int](repeating: 0, count: StabilityChart.frameBins)

    /// Creates an empty chart of a run of `durationSeconds`.
    public init(durationSeconds: Double) {
        self.durationSeconds = durationSeconds
    }

    /// Adds the X QBER of the frame centred at `seconds`.
    public mutating func addFrame(seconds: Double, qberX: Double) {
        let bin = min(Self.frameBins - 1, max(0, Int(seconds / durationSeconds * Double(Self.frameBins))))
        frameQberSums[bin] += qberX
        frameCounts[bin] += 1
    }

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
                SVGPlot.Line(label: "QBER X of the blocks (%)", color: "#d62728", points: qberX),
                SVGPlot.Line(label: "QBER X of the frames (%)", color: "#ff9896", points: frameLine),
                SVGPlot.Line(label: "secret key rate (bit/s)", color: "#2ca02c", points: keyRate),
                SVGPlot.Line(label: "QBER alarm limit (%)", color: "black", dashed: true, points: span.map { ($0, limit) }),
            ]
        ).svg
    }

    private var frameLine: [(x: Double, y: Double?)] {
        frameCounts.indices.map { bin in
            ((Double(bin) + 0.5) / Double(Self.frameBins) * durationSeconds / 3600,
             frameCounts[bin] == 0 ? nil : frameQberSums[bin] / Double(frameCounts[bin]) * 100)
        }
    }
}
