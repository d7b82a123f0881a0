import Foundation

/// A small self-contained SVG line chart with a logarithmic y axis: lines (gaps where a value is
/// missing or not positive), point markers with labels, axes with decade ticks and a legend.
public struct SVGPlot: Sendable {
    /// One drawn line.
    public struct Line: Sendable {
        /// Legend text.
        public var label: String
        /// Stroke colour (any SVG colour).
        public var color: String
        /// Whether the line is dashed.
        public var dashed: Bool
        /// Points; nil or non-positive y values break the line.
        public var points: [(x: Double, y: Double?)]

        /// Creates a line.
        public init(label: String, color: String, dashed: Bool = false, points: [(x: Double, y: Double?)]) {
            self.label = label
            self.color = color
            self.dashed = dashed
            self.points = points
        }
    }

    /// One marked point.
    public struct Marker: Sendable {
        /// Label next to the marker.
        public var label: String
        /// Position.
        public var x: Double, y: Double

        /// Creates a marker.
        public init(label: String, x: Double, y: Double) {
            self.label = label
            self.x = x
            self.y = y
        }
    }

    /// Chart title.
    public var title: String
    /// X axis label.
    public var xLabel: String
    /// Y axis label.
    public var yLabel: String
    /// The lines.
    public var lines: [Line]
    /// The markers.
    public var markers: [Marker]

    /// Creates a plot.
    public init(title: String, xLabel: String, yLabel: String, lines: [Line], markers: [Marker] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.lines = lines
        self.markers = markers
    }

    private let height = 560.0, plotAreaWidth = 630.0
    private let left = 90.0, top = 50.0, bottom = 70.0

    /// The legend's room: a line sample plus the longest label at about 7.5 px per character.
    private var right: Double { 60 + 7.5 * Double(lines.map(\.label.count).max() ?? 20) }
    private var width: Double { left + plotAreaWidth + right }

    /// The SVG document.
    public var svg: String {
        let xs = lines.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = lines.flatMap { $0.points.compactMap(\.y) }.filter { $0 > 0 && $0.isFinite } + markers.map(\.y)
        let xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, xMin + 1e-9)
        let yLow = floor(log10(ys.min() ?? 1e-9)), yHigh = max(ceil(log10(ys.max() ?? 1)), yLow + 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { top + (yHigh - log10(y)) / (yHigh - yLow) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left + plotWidth / 2))" y="28" text-anchor="middle" font-size="15">\(Self.escape(title))</text>

            """
        for exponent in stride(from: yLow, through: yHigh, by: 1) {
            let y = py(pow(10, exponent))
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e0e0e0\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">1e\(Int(exponent))</text>\n"
        }
        for tick in Self.ticks(xMin, xMax) {
            let x = px(tick)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" stroke=\"#f0f0f0\"/>\n"
            out += "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(Self.format(tick))</text>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 22))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(24 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        out += "<clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\"/></clipPath>\n"
        for (index, line) in lines.enumerated() {
            var path = "", pen = false
            for point in line.points {
                guard let y = point.y, y > 0, y.isFinite else { pen = false; continue }
                path += "\(pen ? "L" : "M")\(f(px(point.x))) \(f(py(max(y, pow(10, yLow - 1)))))"
                pen = true
            }
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            out += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash) clip-path=\"url(#plot)\"/>\n"
            let legendY = top + 14 + Double(index) * 20
            out += "<line x1=\"\(f(width - right + 12))\" y1=\"\(f(legendY))\" x2=\"\(f(width - right + 40))\" y2=\"\(f(legendY))\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>\n"
            out += "<text x=\"\(f(width - right + 46))\" y=\"\(f(legendY + 4))\">\(Self.escape(line.label))</text>\n"
        }
        for marker in markers {
            let x = px(marker.x), y = py(marker.y)
            out += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"5\" fill=\"black\"/>\n"
            out += "<text x=\"\(f(x + 8))\" y=\"\(f(y - 8))\">\(Self.escape(marker.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    private static func ticks(_ low: Double, _ high: Double) -> [Double] {
        let raw = (high - low) / 6
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: ceil(low / step) * step, through: high + step * 1e-9, by: step).map { $0 }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%g", value)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
