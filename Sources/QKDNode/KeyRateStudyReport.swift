import Foundation

/// The outputs of a key-rate study of one or more series: a text table, CSV, JSON, the
/// crossings of the series' rates, and an SVG chart.
public struct KeyRateStudyReport: Sendable {
    /// The reference experiment's published point (Wang et al. 2026): about 2e-7 bit per pulse
    /// (15 bit/s) at 120 km of fibre at 0.1956 dB/km.
    public static let publishedPoint = (distanceKm: 120.0, lossDb: 120 * 0.1956, bitsPerPulse: 2e-7)

    /// Every point, series after series.
    public var points: [KeyRatePoint]

    /// Creates a report.
    public init(points: [KeyRatePoint]) {
        self.points = points
    }

    /// The series names, in order of first appearance.
    public var seriesNames: [String] {
        var names: [String] = []
        for point in points where !names.contains(point.series) { names.append(point.series) }
        return names
    }

    /// The points of one series.
    public func series(_ name: String) -> [KeyRatePoint] { points.filter { $0.series == name } }

    /// Where the finite-key rates of every pair of series cross, per pulse and per second.
    public var crossings: [KeyRateCrossing] {
        let names = seriesNames
        var result: [KeyRateCrossing] = []
        for i in names.indices {
            for j in names.indices where j > i {
                let a = series(names[i]), b = series(names[j])
                result += KeyRateCrossing.find(a, b, unit: "bit/pulse") { $0.secretBitsPerPulse }
                result += KeyRateCrossing.find(a, b, unit: "bit/s") { $0.secretKeyRate }
            }
        }
        return result
    }

    /// A text table, with the crossings and the leakage assumption below it.
    public var table: String {
        var lines: [String] = []
        let parameter = points.first?.sweepParameter ?? "distance"
        for name in seriesNames {
            let rows = series(name)
            let optimised = rows.first.map { "source \($0.source)" } ?? ""
            lines.append("\(name) (\(optimised)\(rows.first?.emulated == true ? ", emulated" : ", analytic"))")
            lines.append(Self.pad([parameter, "loss dB", "QBER Z", "QBER X", "bit/pulse", "bit/s", "asym bit/pulse", "PLOB bit/pulse", "p_Z", "intensities"]))
            for row in rows {
                lines.append(Self.pad([
                    Self.short(row.sweepValue), String(format: "%.2f", row.lossDb), String(format: "%.2f %%", row.qberZ * 100),
                    String(format: "%.2f %%", row.qberX * 100), Self.scientific(row.secretBitsPerPulse), Self.scientific(row.secretKeyRate),
                    Self.scientific(row.asymptoticBitsPerPulse), Self.scientific(row.repeaterlessBoundBitsPerPulse),
                    String(format: "%.3f", row.zBasisProbability),
                    zip(row.intensities, row.intensityProbabilities).map { String(format: "%.3f@%.2f", $0, $1) }.joined(separator: " "),
                ]))
            }
            lines.append("")
        }
        for crossing in crossings {
            lines.append(
                "crossing (\(crossing.unit)): \(crossing.leadingBefore) leads up to \(parameter) = \(Self.short(crossing.sweepValue)) "
                    + "(channel loss \(String(format: "%.2f", crossing.lossDb)) dB, \(Self.scientific(crossing.rate)) \(crossing.unit)), "
                    + "\(crossing.leadingAfter) beyond")
        }
        if seriesNames.count > 1, crossings.isEmpty { lines.append("no crossing of the finite-key rates in the swept range") }
        lines.append("leakage assumed: f = \(KeyRateModel.reconciliationEfficiency) x n_Z h(QBER_Z) + \(KeyRateModel.verificationBits) verification bits")
        return lines.joined(separator: "\n")
    }

    /// CSV with a header line, one row per point.
    public var csv: String {
        let header = "series,source,sweepParameter,sweepValue,distanceKm,lossDb,qberZ,qberX,secretBitsPerPulse,secretKeyRate,asymptoticBitsPerPulse,asymptoticKeyRate,repeaterlessBoundBitsPerPulse,blockSize,blockSeconds,zBasisProbability,intensities,intensityProbabilities,emulated"
        let rows = points.map { p in
            [p.series, p.source, p.sweepParameter, "\(p.sweepValue)", "\(p.distanceKm)", "\(p.lossDb)", "\(p.qberZ)", "\(p.qberX)",
             "\(p.secretBitsPerPulse)", "\(p.secretKeyRate)", "\(p.asymptoticBitsPerPulse)", "\(p.asymptoticKeyRate)",
             "\(p.repeaterlessBoundBitsPerPulse)", "\(p.blockSize)", p.blockSeconds.map { "\($0)" } ?? "",
             "\(p.zBasisProbability)", p.intensities.map { "\($0)" }.joined(separator: ";"),
             p.intensityProbabilities.map { "\($0)" }.joined(separator: ";"), "\(p.emulated)"]
                .map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",")
        }
        return ([header] + rows).joined(separator: "\n")
    }

    /// A JSON array with one object per point. At zero loss the repeaterless bound is
    /// unbounded; JSON has no infinity, so it is written as the string `"Infinity"`.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(points), as: UTF8.self)
    }

    /// The chart: finite-key (solid) and asymptotic (dashed) bits per pulse of every series on a
    /// log scale, the repeaterless bound, and the reference experiment's published point when
    /// the sweep is over distance or loss.
    public var svg: String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        let parameter = points.first?.sweepParameter ?? "distance"
        var lines: [SVGPlot.Line] = []
        for (index, name) in seriesNames.enumerated() {
            let rows = series(name), color = colors[index % colors.count]
            lines.append(SVGPlot.Line(label: "\(name) finite-key", color: color, points: rows.map { ($0.sweepValue, $0.secretBitsPerPulse) }))
            lines.append(SVGPlot.Line(label: "\(name) asymptotic", color: color, dashed: true, points: rows.map { ($0.sweepValue, $0.asymptoticBitsPerPulse) }))
        }
        if let first = seriesNames.first {
            let bound = series(first).map { (x: $0.sweepValue, y: Optional(min($0.repeaterlessBoundBitsPerPulse, 10))) }
            lines.append(SVGPlot.Line(label: "repeaterless bound", color: "black", points: bound))
        }
        var markers: [SVGPlot.Marker] = []
        let published = Self.publishedPoint
        if parameter == "distance" { markers.append(.init(label: "Wang et al. 2026", x: published.distanceKm, y: published.bitsPerPulse)) }
        if parameter == "loss" { markers.append(.init(label: "Wang et al. 2026", x: published.lossDb, y: published.bitsPerPulse)) }
        let unit = SweepSpecification.Parameter(rawValue: parameter)?.unit ?? ""
        return SVGPlot(
            title: "Secret key rate versus \(parameter)", xLabel: "\(parameter) (\(unit))", yLabel: "secret bits per pulse",
            lines: lines, markers: markers
        ).svg
    }

    private static func pad(_ cells: [String]) -> String {
        let widths = [10, 9, 9, 9, 11, 11, 15, 15, 6, 0]
        return zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    private static func scientific(_ value: Double) -> String { String(format: "%.3e", value) }

    private static func short(_ value: Double) -> String { String(format: "%g", value) }
}
