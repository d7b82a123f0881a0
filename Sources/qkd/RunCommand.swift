import ArgumentParser
import Foundation
import Photonics
import QKDCore
import QKDNode

/// `qkd run`: unattended operation through simulated time, with drift, Bob's phase lock and his
/// time-bin synchronisation.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the link unattended through simulated time with drifting optics and automatic compensation.",
        discussion: """
            Emulates the link frame by frame (10 s of link time each) as `qkd demo` does, as fast \
            as the machine allows, while the phase of Bob's interferometer drifts as a random \
            walk, the source and detectors wander, and the two nodes' clocks and the fibre's \
            delay move the photons' arrival time; Bob's phase lock corrects the phase from the \
            X-basis errors, his time-bin synchronisation acquires the arrival time from a 10 s \
            pilot and tracks it from his time tags every second, his gate-width controller sets \
            the windows' width every 5 minutes from the dark-count floor of his arrival \
            histogram, and the link alarm \
            withholds the frames of a fault (X QBER above the limit, loss, stray light) from the \
            key and resumes on its own. With --accelerated the frames' counts are drawn from the \
            analytic link model and each block's key length from the finite-key bound (no \
            Cascade, no keys stored): statistically the same run, much faster. Memory does not \
            grow with the duration. The same seed gives the same output, bit for bit.

            Examples:
              qkd run --duration 6h --csv run.csv --plot run.svg
              qkd run --duration 6h --controllers off --plot ablation.svg
              qkd run --duration 6h --sync off --json
              qkd run --duration 6h --gate off --fault room-warming@1h+3h --json
              qkd run --duration 6h --fault detector-latch@1h+60s --json
              qkd run --duration 6h --fault fibre-cut@1h+30s --fault stray-light@2h+20s --json
              qkd run --duration 72h --accelerated --json
            """
    )

    /// `on` or `off`.
    enum Switch: String, ExpressibleByArgument {
        case on, off
    }

    @Option(help: "Preset to run (shipped: \(PresetCatalog.names.joined(separator: ", "))).")
    var preset: String = "paper-120km"

    @Option(help: ArgumentHelp("Configuration file (JSON; may start from a preset with \"preset\": NAME).", valueName: "file"))
    var config: String?

    @Option(help: "Simulated link time, e.g. 90s, 10m, 6h, 72h.")
    var duration: String = "6h"

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 1

    @Option(help: "Drift of the interferometer phase, the source's brightness, the detectors' efficiency and dark counts, the clocks and the fibre's delay: on or off.")
    var drift: Switch = .on

    @Option(help: "Bob's controllers, the phase lock, the time-bin synchronisation and the gate-width controller: on or off.")
    var controllers: Switch = .on

    @Option(help: "Bob's time-bin synchronisation alone (acquisition and tracking): on or off.")
    var sync: Switch = .on

    @Option(help: "Bob's gate-width controller alone (the windows' width from the dark-count floor of his arrival histogram): on or off.")
    var gate: Switch = .on

    @Option(help: ArgumentHelp("Phase diffusion of the drift.", valueName: "rad/√s"))
    var phaseDiffusion: Double = InterferometerPhaseDrift.defaultDiffusion

    @Option(help: ArgumentHelp("X-basis QBER of a frame that raises the alarm and withholds it from the key.", valueName: "fraction"))
    var alarmQber: Double = 0.15

    @Option(help: ArgumentHelp(
        "Inject a fault: KIND@START+DURATION, KIND one of \(InjectedFault.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (repeatable).",
        valueName: "fault"))
    var fault: [String] = []

    @Flag(help: "Draw each frame's counts from the analytic link model and each block's key length from the finite-key bound.")
    var accelerated = false

    @Option(help: "Link time per frame (the phase lock's measurement interval), e.g. 10s.")
    var frame: String = "10s"

    @Option(help: ArgumentHelp("Write one line per block (CSV).", valueName: "file"))
    var csv: String?

    @Option(help: ArgumentHelp("Write the stability chart (SVG).", valueName: "file"))
    var plot: String?

    @Option(help: ArgumentHelp("Folder for the two key stores.", valueName: "dir"))
    var keyDir: String = "qkd-run-keys"

    @Flag(help: "Print one JSON object instead of the text summary.")
    var json = false

    func run() throws {
        let configuration = try config.map(PresetCatalog.configuration(file:)) ?? PresetCatalog.configuration(named: preset)
        guard alarmQber > 0, alarmQber < 0.5 else {
            throw QKDError(.invalidParameter, "--alarm-qber must lie in (0, 0.5), got \(alarmQber)")
        }
        var runner = try StabilityRunner(
            configuration: configuration, durationSeconds: DurationParser.seconds(duration), seed: seed, keyDirectory: keyDir)
        runner.phaseDiffusion = drift == .on ? phaseDiffusion : nil
        runner.deviceWander = drift == .on
        runner.controllers = controllers == .on
        runner.timingDrift = drift == .on
        runner.synchronization = controllers == .on && sync == .on
        runner.gateControl = gate == .on
        runner.alarm = LinkAlarm(maximumQBERX: alarmQber)
        runner.accelerated = accelerated
        runner.faults = try fault.map(Self.parseFault)
        runner.settings.frameSeconds = try DurationParser.seconds(frame)
        let csvFile = try csv.map(Self.createFile)
        defer { try? csvFile?.close() }
        try csvFile?.write(contentsOf: Data((StabilityBlockRow.csvHeader + "\n").utf8))
        var chart = StabilityChart(durationSeconds: runner.settings.durationSeconds)
        let summary = try runner.run(
            onBlock: { row in
                try csvFile?.write(contentsOf: Data((row.csvLine + "\n").utf8))
                if plot != nil { chart.add(row) }
            },
            onFrame: { seconds, qberX in if plot != nil { chart.addFrame(seconds: seconds, qberX: qberX) } })
        if let plot {
            do {
                try chart.svg(summary: summary).write(toFile: plot, atomically: true, encoding: .utf8)
            } catch {
                throw QKDError(.storage, "cannot write the chart to \(plot)")
            }
        }
        if json {
            try printJSON(summary)
        } else {
            print(Self.text(summary))
        }
    }

    /// `KIND@START+DURATION`, e.g. `fibre-cut@1h+30s`.
    static func parseFault(_ text: String) throws -> InjectedFault {
        let parts = text.split(separator: "@", maxSplits: 1)
        let times = parts.count == 2 ? parts[1].split(separator: "+", maxSplits: 1) : []
        guard parts.count == 2, times.count == 2, let kind = InjectedFault.Kind(rawValue: String(parts[0])) else {
            let kinds = InjectedFault.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw QKDError(.invalidParameter, "--fault takes KIND@START+DURATION with KIND one of \(kinds), e.g. fibre-cut@1h+30s; got \(text)")
        }
        return try InjectedFault(kind: kind, startSeconds: DurationParser.seconds(String(times[0])), durationSeconds: DurationParser.seconds(String(times[1])))
    }

    private static func createFile(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw QKDError(.storage, "cannot write \(path)")
        }
        return handle
    }

    private static func timing(_ summary: StabilitySummary) -> String {
        guard summary.timingDrift else { return "clock and fibre drift off" }
        guard summary.synchronization else {
            return String(format: "time-bin synchronisation off: arrival %.0f ps rms from the windows", summary.timingErrorRmsPs)
        }
        let acquired = summary.acquisition.map {
            String(format: "acquired an offset of %.3f ns (%d pulse periods) and a frequency of %.3g (error %.0f ps); ",
                   $0.offsetSeconds * 1e9, $0.slotOffset, $0.fractionalFrequency, summary.acquisitionErrorPs ?? 0)
        } ?? ""
        return acquired + String(format: "arrival %.1f ps rms from the windows", summary.timingErrorRmsPs)
    }

    private static func gateWidths(_ summary: StabilitySummary) -> String {
        guard summary.gateControl else { return String(format: "gate width %.2f ns (calibrated, gate-width controller off)", summary.meanGateWidthNs) }
        return String(format: "gate width %.2f ns mean (%.2f-%.2f ns), set from the arrival histogram's dark-count floor",
                      summary.meanGateWidthNs, summary.minimumGateWidthNs, summary.maximumGateWidthNs)
    }

    private static func text(_ summary: StabilitySummary) -> String {
        func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }
        let drift = summary.phaseDiffusion.map { "\($0) rad/√s" } ?? "off"
        return """
            \(summary.preset), \(summary.distanceKm) km, \(String(format: "%.0f", summary.durationSeconds)) s of link time, seed \(summary.seed)
            phase drift \(drift), phase lock \(summary.controllers ? "on" : "off"), alarm above \(percent(summary.alarmQberX)) X\(summary.accelerated ? ", accelerated (analytic frames)" : "")
            blocks: \(summary.blocks) (\(summary.blocksAborted) without key); frames withheld by the alarm: \(summary.pausedFrames) (\(String(format: "%.0f", summary.pausedSeconds)) s)
            QBER Z \(percent(summary.meanQberZ)), X \(percent(summary.meanQberX)) (largest block X \(percent(summary.maxQberX)); all frames X \(percent(summary.meanQberXAllFrames)))
            residual phase \(String(format: "%.3f", summary.phaseErrorRmsRad)) rad rms, lock losses: \(summary.lockLossEvents)\(summary.firstLockLossSeconds.map { String(format: " (first at %.0f s)", $0) } ?? "")
            \(timing(summary))
            \(gateWidths(summary))
            secret bits \(summary.secretBits), \(String(format: "%.2f", summary.secretKeyRate)) bit/s
            """ + summary.faults.map { fault in
                let resume = fault.resumeSeconds.map { String(format: "resumed %.0f s after it", $0) } ?? "did not resume"
                let span = String(format: "at %.0f s for %.0f s", fault.startSeconds, fault.durationSeconds)
                return "\n\(fault.kind.rawValue) \(span): \(resume), \(String(format: "%.0f", fault.unpausedFaultSeconds)) s of it in unpaused frames"
            }.joined()
    }
}
