import Foundation
import Testing

private func configFile(_ text: String) throws -> String {
    let path = scratchPath("qkd-simulate", suffix: ".json")
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite struct SimulateCommandTests {
    @Test(arguments: [
        (["simulate", "--sweep", "distance=10:0:5"], "has no points"),
        (["simulate", "--sweep", "loss=-5:10:5"], "sweep loss must be non-negative"),
        (["simulate", "--sweep", "speed=1"], "unknown sweep parameter"),
        (["simulate", "--format", "xml"], "--format must be"),
        (["simulate", "--preset", "nope"], "unknown preset"),
        (["simulate", "--sweep", "g2=0.01", "--preset", "decoy-laser-timebin"], "applies to a quantum-dot source"),
    ])
    func badInputIsOneLineAndExitCodeTwo(arguments: [String], expected: String) throws {
        let result = try runQKD(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: [
        ("{ \"preset\": \"paper-120km\", \"detector\": { \"efficiency\": 1.2 } }", "detector efficiency must be in (0, 1]"),
        ("{ \"preset\": \"paper-120km\", \"fiber\": { \"extraLossDb\": -1 } }", "fibre extra loss must be non-negative"),
        ("{ \"preset\": \"paper-120km\", \"detector\": { \"deadTme\": 1e-8 } }", "unknown parameter \"detector.deadTme\""),
        ("{ \"preset\": \"paper-120km\", \"encoder\": { \"alphabet\": \"bb84\" } }", "no security analysis for the BB84 alphabet"),
    ])
    func badConfigurationsAreOneLineAndExitCodeTwo(text: String, expected: String) throws {
        let result = try runQKD(["simulate", "--config", try configFile(text), "--sweep", "distance=50"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func jsonHasOneObjectPerPointAndThePlotIsWritten() throws {
        let plot = scratchPath("qkd-simulate", suffix: ".svg")
        let result = try runQKD(["simulate", "--sweep", "distance=0:250:5", "--format", "json", "--plot", plot])
        #expect(result.status == 0, "\(result.stderr)")
        let points = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        #expect(points?.count == 51)
        #expect(points?.last?["distanceKm"] as? Double == 250)
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("repeaterless bound"))
    }
}
