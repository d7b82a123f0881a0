import Foundation
import Photonics
import QKDCore
import QKDNode
import Security
import Testing

@Suite struct KeyRateStudyTests {
    @Test func sweepsParseRangesListsAndSingleValues() throws {
        #expect(try SweepSpecification(parsing: "distance=0:250:5").values.count == 51)
        #expect(try SweepSpecification(parsing: "loss=0:1:0.1").values.count == 11, "the stop value is kept despite rounding")
        #expect(try SweepSpecification(parsing: "g2=0.01,0.02").values == [0.01, 0.02])
        #expect(try SweepSpecification(parsing: "blockSize=1e6").parameter == .blockSize)
    }

    @Test(arguments: [
        ("distance=10:0:5", "has no points"),
        ("distance=0:10:0", "has no points"),
        ("speed=1:2:1", "unknown sweep parameter \"speed\""),
        ("distance", "is not like"),
        ("g2=a,b", "must be numbers"),
        ("distance=0:1e9:1", "more than"),
    ])
    func badSweepsNameTheProblem(text: String, expected: String) {
        do {
            _ = try SweepSpecification(parsing: text)
            Issue.record("accepted \(text)")
        } catch let error as QKDError {
            #expect(error.message.contains(expected), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// The study of the paper-120km preset reproduces the published QBERs (Z 6.85 %, X 9.60 %)
    /// and rate (about 15 bit/s; accepted within a factor 1.5, as the reference rate test).
    @Test func referencePresetReproducesThePublishedLink() throws {
        let study = KeyRateStudy(configuration: try PresetCatalog.configuration(named: "paper-120km"))
        let point = try #require(try study.run(sweep: SweepSpecification(parsing: "distance=120")).first)
        #expect(abs(point.qberZ - 0.0685) < 0.005, "Z \(point.qberZ)")
        #expect(abs(point.qberX - 0.0960) < 0.005, "X \(point.qberX)")
        #expect(point.secretKeyRate > 10 && point.secretKeyRate < 22.5, "\(point.secretKeyRate) bit/s")
        #expect(point.asymptoticBitsPerPulse > point.secretBitsPerPulse)
    }

    @Test func laserPresetGivesKeyWhereTheDotCannot() throws {
        let laser = KeyRateStudy(configuration: try PresetCatalog.configuration(named: "decoy-laser-timebin"))
        let points = try laser.run(sweep: SweepSpecification(parsing: "distance=50,150"))
        #expect(points.allSatisfy { $0.secretBitsPerPulse > 0 && $0.source == "laser" && $0.intensities == [0.5, 0.15] })
    }

    /// Property: over random links of either source (seeded), every finite-key and asymptotic
    /// rate is at or below the repeaterless bound of the channel loss, with and without
    /// optimisation. At least some of the links must give key, or the property says nothing.
    @Test func everyRateIsBelowTheRepeaterlessBound() throws {
        var generator = SeededGenerator(seed: 2026)
        func uniform(_ range: ClosedRange<Double>) -> Double { range.lowerBound + generator.nextUnitInterval() * (range.upperBound - range.lowerBound) }
        let base = try PresetCatalog.configuration(named: "paper-120km")
        let laserBase = try PresetCatalog.configuration(named: "decoy-laser-timebin")
        var withKey = 0
        for trial in 0..<40 {
            let laser = trial % 2 == 1
            var configuration = laser ? laserBase : base
            var link = configuration.link
            if laser {
                let signal = uniform(0.05...1.5)
                link.source = .weakCoherent(try WeakCoherentSource(
                    repetitionRate: 2.5e9, intensities: [signal, signal * uniform(0.05...0.8)],
                    intensityProbabilities: { let p = uniform(0.3...0.9); return [p, 1 - p] }(), pulseDuration: 10e-12))
            } else {
                link.source = .quantumDot(try QuantumDotSource(
                    repetitionRate: 76e6, meanPhotonNumber: uniform(0.01...1), g2: uniform(0...0.1), radiativeLifetime: 1e-9))
            }
            link.fiber = try Fiber(lengthKm: uniform(0...150), attenuationDbPerKm: 0.2, extraLossDb: uniform(0...3))
            link.decoder = try TimeBinDecoder(insertionLossDb: uniform(0...3), visibility: uniform(0.8...1))
            link.detector = try SinglePhotonDetector(efficiency: uniform(0.1...1), darkCountRate: uniform(0...1e4), timingJitter: 20e-12)
            link.encoder.zBasisProbability = uniform(0.2...0.9)
            configuration.link = try LinkConfiguration(
                source: link.source, encoder: link.encoder, fiber: link.fiber, decoder: link.decoder, detector: link.detector, tagger: link.tagger)
            let study = KeyRateStudy(configuration: configuration, optimize: trial % 4 < 2)
            let point = try #require(try study.run(sweep: SweepSpecification(parsing: "distance=\(link.fiber.lengthKm)")).first)
            let bound = RepeaterlessBound.bitsPerChannelUse(lossDb: link.fiber.lossDb)
            #expect(point.secretBitsPerPulse <= bound, "trial \(trial): \(point.secretBitsPerPulse) > \(bound)")
            #expect(point.asymptoticBitsPerPulse <= bound, "trial \(trial): asymptotic \(point.asymptoticBitsPerPulse) > \(bound)")
            if point.secretBitsPerPulse > 0 { withKey += 1 }
        }
        #expect(withKey >= 10, "only \(withKey) of 40 random links gave key")
    }

    /// The emulated study and the analytic one describe the same link: over 0.05 s of the laser
    /// preset at 100 km (seeded) the emulated QBERs match the analytic ones. About 7e4 sifted Z
    /// bits at 0.84 % give a standard deviation of 3.4e-4 (tolerance 0.002), about 6e3 X events
    /// of |+> at 1.3 % one of 1.5e-3 (tolerance 0.008).
    @Test func emulatedStudyMatchesTheAnalyticOne() throws {
        let study = KeyRateStudy(configuration: try PresetCatalog.configuration(named: "decoy-laser-timebin"))
        let sweep = try SweepSpecification(parsing: "distance=100")
        let analytic = try #require(try study.run(sweep: sweep).first)
        let emulated = try #require(try study.runEmulated(sweep: sweep, durationSeconds: 0.05, seed: 4).first)
        #expect(emulated.emulated)
        #expect(abs(emulated.qberZ - analytic.qberZ) < 0.002, "Z \(emulated.qberZ) vs \(analytic.qberZ)")
        #expect(abs(emulated.qberX - analytic.qberX) < 0.008, "X \(emulated.qberX) vs \(analytic.qberX)")
        let again = try #require(try study.runEmulated(sweep: sweep, durationSeconds: 0.05, seed: 4).first)
        #expect(again == emulated, "same seed, same point")
    }

    @Test func bb84AndLaserConfigurationsAreNamedWhereAnalysisIsMissing() throws {
        var configuration = try PresetCatalog.configuration(named: "paper-120km")
        configuration.link.encoder = try TimeBinEncoder(zBasisProbability: 0.5, timeBinSeparation: 3.5e-9, alphabet: .bb84)
        #expect(throws: QKDError.self) { try KeyRateStudy(configuration: configuration).run(sweep: SweepSpecification(parsing: "distance=50")) }
        let laser = try PresetCatalog.configuration(named: "decoy-laser-timebin")
        #expect(throws: QKDError.self) { try laser.protocolDescription }
    }

    @Test func laserConfigurationFilesReplaceThePresetSource() throws {
        let folder = try temporaryFolder()
        let path = try writeFile("""
            { "preset": "paper-120km", "source": { "kind": "laser", "repetitionRate": 76e6, "signalIntensity": 0.4, "decoyIntensity": 0.1,
              "secondDecoyIntensity": 0, "signalProbability": 0.8, "decoyProbability": 0.15 } }
            """, named: "laser.json", in: folder)
        let configuration = try PresetCatalog.configuration(file: path)
        guard case .weakCoherent(let source) = configuration.link.source else { Issue.record("not a laser"); return }
        #expect(source.intensities == [0.4, 0.1, 0])
        #expect(abs(source.intensityProbabilities[2] - 0.05) < 1e-12)
        let stray = try writeFile("""
            { "preset": "decoy-laser-timebin", "source": { "g2": 0.01 } }
            """, named: "stray.json", in: folder)
        #expect(throws: QKDError.self) { try PresetCatalog.configuration(file: stray) }
    }

    @Test func reportsCarryTheDocumentedFieldsAndTheChart() throws {
        let study = KeyRateStudy(configuration: try PresetCatalog.configuration(named: "paper-120km"))
        let report = KeyRateStudyReport(points: try study.run(sweep: SweepSpecification(parsing: "distance=0:200:50")))
        let objects = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [[String: Any]]
        #expect(objects?.count == 5)
        for field in ["distanceKm", "lossDb", "qberZ", "qberX", "secretBitsPerPulse", "secretKeyRate", "asymptoticBitsPerPulse", "repeaterlessBoundBitsPerPulse"] {
            #expect(objects?.allSatisfy { $0[field] != nil } == true, "missing \(field)")
        }
        #expect(report.csv.split(separator: "\n").count == 6)
        #expect(report.svg.contains("repeaterless bound") && report.svg.contains("Wang et al. 2026") && report.svg.hasSuffix("</svg>\n"))
    }
}
