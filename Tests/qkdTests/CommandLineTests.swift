import Foundation
import Testing

/// The built `qkd` executable, next to the test bundle (or one folder up, depending on how the
/// test runner is laid out).
func qkdExecutable() -> URL {
    let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = folder.appendingPathComponent("qkd")
    return FileManager.default.fileExists(atPath: candidate.path) ? candidate : folder.deletingLastPathComponent().appendingPathComponent("qkd")
}

/// Runs the built `qkd` executable and returns its exit code, standard output and standard error.
func runQKD(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = qkdExecutable()
    process.arguments = arguments
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

@Suite struct CommandLineTests {
    @Test(arguments: [
        (["demo", "--preset", "nope"], "unknown preset"),
        (["demo", "--distance=-5"], "--distance must be a non-negative"),
        (["demo", "--duration", "soon"], "duration \"soon\""),
        (["demo", "--seed", "abc"], "abc"),
        (["demo", "--bogus"], "bogus"),
    ])
    func badInputIsOneLineAndExitCodeTwo(arguments: [String], expected: String) throws {
        let result = try runQKD(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: "))
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func malformedConfigFileIsOneLineAndExitCodeTwo() throws {
        let path = scratchPath("qkd-bad", suffix: ".json")
        try Data("{ \"fiber\": ".utf8).write(to: URL(fileURLWithPath: path))
        let result = try runQKD(["demo", "--config", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(path) && result.stderr.contains("not valid JSON"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func helpExitsCleanly() throws {
        let result = try runQKD(["demo", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--duration"))
    }

    @Test func jsonSummaryHasTheDocumentedFields() throws {
        let folder = scratchPath("qkd-cli")
        let result = try runQKD(["demo", "--distance", "60", "--duration", "30s", "--json", "--key-dir", folder])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        for field in ["preset", "distanceKm", "durationSeconds", "pulses", "detections", "siftedBitsZ", "siftedBitsX", "qberZ", "qberX",
                      "disclosedBits", "efficiency", "secretBits", "secretKeyRate", "secretBitsPerPulse", "epsilonSecurity", "keysIdentical", "keyStores"] {
            #expect(object?[field] != nil, "missing \(field)")
        }
        #expect(object?["distanceKm"] as? Double == 60)
        #expect(object?["keysIdentical"] as? Bool == true)
    }
}

@Suite struct KeyrateCommandTests {
    private var example: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/paper-120km-block.json").path
    }

    @Test func explainsEveryTermOfTheExample() throws {
        let result = try runQKD(["keyrate", "--counts", example, "--explain"])
        #expect(result.status == 0, "\(result.stderr)")
        for term in ["n_Z", "M_Z", "Lambda_ph", "E_ph", "phi", "lambda_EC", "2 log2(1/(2 eps_PA))", "secret length"] {
            #expect(result.stdout.contains(term), "missing \(term)")
        }
    }

    @Test func jsonHasTheIntermediateBounds() throws {
        let result = try runQKD(["keyrate", "--counts", example, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        for field in ["secretBits", "taggedZUpper", "untaggedZLower", "phaseErrorsUpper", "phaseErrorRateUpper", "leakage"] {
            #expect(object?[field] != nil, "missing \(field)")
        }
        #expect((object?["secretBits"] as? Int ?? 0) > 0)
    }

    /// Kato's inequality keeps the example's key (BENCHMARKS.md: within 1 % of Chernoff's);
    /// an unknown inequality is refused with the choices named.
    @Test func katoInequalityAndUnknownInequality() throws {
        func secretBits(_ inequality: String) throws -> Int {
            let result = try runQKD(["keyrate", "--counts", example, "--json", "--inequality", inequality])
            #expect(result.status == 0, "\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return object?["secretBits"] as? Int ?? 0
        }
        let kato = try secretBits("kato"), chernoff = try secretBits("chernoff")
        #expect(kato > 0)
        #expect(abs(Double(kato - chernoff)) < 0.01 * Double(chernoff), "kato \(kato), chernoff \(chernoff)")
        let unknown = try runQKD(["keyrate", "--counts", example, "--inequality", "bernstein"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("chernoff, kato or azuma-hoeffding"))
    }

    @Test func unreadableCountsFileIsExitCodeTwo() throws {
        let result = try runQKD(["keyrate", "--counts", "/nonexistent/counts.json"])
        #expect(result.status == 2)
        #expect(result.stderr == "error: cannot read counts file /nonexistent/counts.json\n")
    }
}

@Suite struct RunCommandTests {
    @Test func jsonSummaryCSVAndChart() throws {
        let folder = scratchPath("qkd-run")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let csv = folder + "/run.csv", plot = folder + "/run.svg"
        let result = try runQKD(["run", "--duration", "40s", "--frame", "5s", "--seed", "2", "--json", "--csv", csv, "--plot", plot, "--key-dir", folder])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for field in ["durationSeconds", "blocks", "blocksAborted", "meanQberZ", "meanQberX", "maxQberX", "secretKeyRate", "lockLossEvents"] {
            #expect(object[field] != nil, "missing \(field)")
        }
        #expect(object["durationSeconds"] as? Double == 40)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "startSeconds,durationSeconds,qberZ,qberX,siftedBits,secretBits,phaseErrorRad,controllerState,pausedSeconds,timingErrorPs,gateWidthNs,darkCountEstimateHz")
        #expect(object["gateControl"] as? Bool == true && abs((object["meanGateWidthNs"] as? Double ?? 0) - 2) < 1e-9, "no update within 40 s")
        #expect(lines.count == 1 + (object["blocks"] as? Int ?? -1))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("QBER X of the blocks (%)") && svg.contains("QBER X of the frames (%)"))
    }

    @Test func faultIsReportedWithItsResumeTime() throws {
        let folder = scratchPath("qkd-run")
        let result = try runQKD(["run", "--duration", "60s", "--frame", "5s", "--accelerated", "--fault", "fibre-cut@20s+10s", "--json", "--key-dir", folder])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let faults = try #require(object["faults"] as? [[String: Any]])
        #expect(faults.count == 1 && faults.first?["kind"] as? String == "fibre-cut")
        #expect(faults.first?["resumeSeconds"] as? Double != nil)
        #expect(object["accelerated"] as? Bool == true)
    }

    @Test(arguments: [
        ["run", "--drift", "sideways"], ["run", "--duration", "-1h"], ["run", "--alarm-qber", "0.7"],
        ["run", "--fault", "meteor@1h+1s"], ["run", "--fault", "fibre-cut@1h"], ["run", "--gate", "narrow"],
    ])
    func badInputIsExitCodeTwo(arguments: [String]) throws {
        let result = try runQKD(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
