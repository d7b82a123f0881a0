import Foundation
import QKDCore
import QKDNode
import Testing

@Suite struct ConfigurationTests {
    @Test func referencePresetHoldsThePublishedValues() throws {
        let configuration = try PresetCatalog.configuration(named: "paper-120km")
        let link = configuration.link
        #expect(link.source.repetitionRate == 75.947e6)
        #expect(link.source.g2 == 0.0085)
        #expect(link.source.radiativeLifetime == 1018e-12)
        #expect(link.fiber.lengthKm == 120)
        #expect(link.fiber.attenuationDbPerKm == 0.1956)
        #expect(link.detector.efficiency == 0.74)
        #expect(link.detector.darkCountRate == 100)
        #expect(PresetCatalog.names.contains("paper-120km"))
    }

    @Test func configFileOverridesAPreset() throws {
        let folder = try temporaryFolder()
        let path = try writeFile("""
            { "preset": "paper-120km", "fiber": { "lengthKm": { "value": 80, "unit": "km" } }, "postProcessing": { "blockSize": 50000 } }
            """, named: "link.json", in: folder)
        let configuration = try PresetCatalog.configuration(file: path)
        #expect(configuration.link.fiber.lengthKm == 80)
        #expect(configuration.postProcessing.blockSize == 50000)
        #expect(configuration.link.source.g2 == 0.0085, "untouched values come from the preset")
    }

    @Test(arguments: [
        ("{ \"fiber\": { \"lenghtKm\": 80 } }", "unknown parameter \"fiber.lenghtKm\""),
        ("{ \"preset\": \"paper-120km\", \"fiber\": { \"lengthKm\": { \"value\": 80, \"unit\": \"m\" } } }", "must be given in km"),
        ("{ \"preset\": \"paper-120km\", \"fiber\": { \"lengthKm\": -3 } }", "fibre length must be a non-negative"),
        ("{ \"preset\": \"paper-120km\", \"detector\": { \"efficiency\": 1.3 } }", "detector efficiency must be in (0, 1]"),
        ("{ \"preset\": \"nope\" }", "unknown preset \"nope\""),
        ("{ \"fiber\": ", "not valid JSON"),
        ("[1, 2]", "top level must be a JSON object"),
        ("{ \"optics\": {} }", "unknown section \"optics\""),
        ("{ \"fiber\": { \"lengthKm\": 80 } }", "missing parameter source.repetitionRate"),
    ])
    func badConfigurationFilesNameTheProblem(text: String, expected: String) throws {
        let folder = try temporaryFolder()
        let path = try writeFile(text, named: "bad.json", in: folder)
        do {
            _ = try PresetCatalog.configuration(file: path)
            Issue.record("accepted \(text)")
        } catch let error as QKDError {
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func missingFileAndUnknownPresetAreNamed() {
        #expect(throws: QKDError.self) { try PresetCatalog.configuration(file: "/nonexistent/link.json") }
        #expect(throws: QKDError.self) { try PresetCatalog.configuration(named: "paper-999km") }
    }

    @Test func durationsParse() throws {
        #expect(try DurationParser.seconds("90") == 90)
        #expect(try DurationParser.seconds("10m") == 600)
        #expect(try DurationParser.seconds("6h") == 21600)
        #expect(try DurationParser.seconds("1h30m") == 5400)
        #expect(try DurationParser.seconds("2d") == 172800)
        for bad in ["", "-5m", "6x", "0s", "1h30", "h"] {
            #expect(throws: QKDError.self, "\(bad)") { try DurationParser.seconds(bad) }
        }
    }
}
