import ArgumentParser
import Foundation
import QKDCore
import QKDNode

/// `qkd simulate`: key rate versus distance, loss, block size, g2 or dark counts.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Key rate versus distance (or loss, block size, g2, dark counts), asymptotic and finite-key.",
        discussion: """
            Evaluates the analytic link model (expected gains and error rates per basis and \
            intensity) and the security analysis at every point of a sweep: the three-state \
            single-photon analysis for a quantum-dot source, the decoy-state analysis for a \
            laser. A finite-key block holds postProcessing.blockSize sifted bits. Error \
            correction is not run: its leakage is taken as f = 1.06 (what our Cascade measures at \
            these block sizes) times n_Z h(QBER_Z), plus 122 verification bits. With --emulate, \
            each point is instead emulated event by event for that link time. Key rates need the \
            three-state alphabet: the BB84 alphabet is modelled optically but has no security \
            analysis yet. Several --preset/--config options put several series on one chart, and \
            the table reports where their rates cross.

            Sweep parameters: distance (km), loss (dB, channel loss), blockSize (bits), g2 \
            (fraction, quantum dot), darkCounts (Hz); values as start:stop:step, a,b,c or one value.

            Examples:
              qkd simulate
              qkd simulate --preset paper-120km --preset decoy-laser-timebin --sweep loss=0:50:1 --optimize --plot rates.svg
              qkd simulate --sweep g2=0:0.1:0.01 --format csv
              qkd simulate --sweep distance=120 --emulate 6h --format json
            """
    )

    @Option(help: "Preset of a series; repeat for several (shipped: \(PresetCatalog.names.joined(separator: ", "))).")
    var preset: [String] = []

    @Option(help: ArgumentHelp("Configuration file of a series (JSON); repeat for several.", valueName: "file"))
    var config: [String] = []

    @Option(help: ArgumentHelp("What to sweep and over which values.", valueName: "name=start:stop:step"))
    var sweep: String = "distance=0:250:5"

    @Option(help: "Output format: table, csv or json.")
    var format: String = "table"

    @Option(help: ArgumentHelp("Also write an SVG chart (log-scale key rate, repeaterless bound, published point).", valueName: "file.svg"))
    var plot: String?

    @Flag(help: "Optimise Alice's basis probability, and for a laser its intensities and signal probability, at every point.")
    var optimize = false

    @Option(help: ArgumentHelp("Emulate this much link time event by event at every point instead of the analytic model, e.g. 10m, 6h.", valueName: "duration"))
    var emulate: String?

    @Option(help: "Seed of the emulation.")
    var seed: UInt64 = 1

    func run() throws {
        guard ["table", "csv", "json"].contains(format) else {
            throw QKDError(.invalidParameter, "--format must be table, csv or json, got \"\(format)\"")
        }
        if let plot, !plot.hasSuffix(".svg") {
            throw QKDError(.invalidParameter, "--plot must name an .svg file, got \"\(plot)\"")
        }
        let specification = try SweepSpecification(parsing: sweep)
        var configurations = try preset.map(PresetCatalog.configuration(named:)) + config.map(PresetCatalog.configuration(file:))
        if configurations.isEmpty { configurations = [try PresetCatalog.configuration(named: "paper-120km")] }
        let duration = try emulate.map(DurationParser.seconds)
        var points: [KeyRatePoint] = []
        for configuration in configurations {
            let study = KeyRateStudy(configuration: configuration, optimize: optimize)
            if let duration {
                points += try study.runEmulated(sweep: specification, durationSeconds: duration, seed: seed)
            } else {
                points += try study.run(sweep: specification)
            }
        }
        let report = KeyRateStudyReport(points: points)
        if let plot {
            do {
                try Data(report.svg.utf8).write(to: URL(fileURLWithPath: plot))
            } catch {
                throw QKDError(.storage, "cannot write the plot to \(plot)")
            }
        }
        switch format {
        case "csv": print(report.csv)
        case "json": print(try report.json())
        default: print(report.table)
        }
    }
}
