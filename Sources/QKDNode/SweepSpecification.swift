import Foundation
import Photonics
import QKDCore

/// What a key-rate study varies and over which values, parsed from `name=start:stop:step`
/// (inclusive of `stop` when the steps land on it), `name=a,b,c` or `name=value`.
public struct SweepSpecification: Sendable, Equatable {
    /// The parameters a study can vary.
    public enum Parameter: String, Sendable, CaseIterable {
        /// Fibre length (km).
        case distance
        /// Channel loss (dB): the fibre length is set so that fibre plus extra losses equal it.
        case loss
        /// Sifted Z bits per finite-key block.
        case blockSize
        /// The quantum dot's g2(0) (a fraction).
        case g2
        /// The detectors' dark-count rate (Hz).
        case darkCounts

        /// The unit of the parameter's values.
        public var unit: String {
            switch self {
            case .distance: return "km"
            case .loss: return "dB"
            case .blockSize: return "bits"
            case .g2: return "fraction"
            case .darkCounts: return "Hz"
            }
        }
    }

    /// Largest number of points a sweep may have.
    public static let maximumPoints = 10_000

    /// The varied parameter.
    public let parameter: Parameter
    /// Its values, in the order given.
    public let values: [Double]

    /// Parses a specification such as `distance=0:250:5`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw QKDError(.invalidParameter, "sweep \"\(text)\" is not like distance=0:250:5, loss=0,10,20 or g2=0.01")
        }
        guard let parameter = Parameter(rawValue: parts[0]) else {
            throw QKDError(.invalidParameter, "unknown sweep parameter \"\(parts[0])\" (known: \(Parameter.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let range = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        var values: [Double]
        if range.count == 3 {
            guard let start = range[0], let stop = range[1], let step = range[2], start.isFinite, stop.isFinite, step.isFinite else {
                throw QKDError(.invalidParameter, "sweep \"\(text)\": start, stop and step must be numbers")
            }
            guard step > 0, start <= stop else {
                throw QKDError(.invalidParameter, "sweep \"\(text)\" has no points: it needs start <= stop and a positive step")
            }
            let count = ((stop - start) / step * (1 + 1e-12)).rounded(.down) + 1
            guard count <= Double(Self.maximumPoints) else {
                throw QKDError(.invalidParameter, "sweep \"\(text)\" has \(Int(count)) points, more than \(Self.maximumPoints)")
            }
            values = (0..<Int(count)).map { start + Double($0) * step }
        } else {
            let list = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !list.isEmpty, list.allSatisfy({ $0?.isFinite == true }) else {
                throw QKDError(.invalidParameter, "sweep \"\(text)\": values must be numbers, as start:stop:step or a,b,c")
            }
            values = list.compactMap { $0 }
        }
        guard !values.isEmpty else {
            throw QKDError(.invalidParameter, "sweep \"\(text)\" has no points")
        }
        self.parameter = parameter
        self.values = values
    }

    /// The configuration with the parameter set to `value`, validated like a configuration
    /// file's value.
    public func apply(_ value: Double, to configuration: NodeConfiguration) throws -> NodeConfiguration {
        var copy = configuration
        var link = configuration.link
        switch parameter {
        case .distance:
            guard value >= 0 else { throw QKDError(.invalidParameter, "sweep distance must be non-negative, got \(value) km") }
            link.fiber = try Fiber(lengthKm: value, attenuationDbPerKm: link.fiber.attenuationDbPerKm, extraLossDb: link.fiber.extraLossDb)
        case .loss:
            guard value >= 0 else { throw QKDError(.invalidParameter, "sweep loss must be non-negative, got \(value) dB") }
            guard value >= link.fiber.extraLossDb, link.fiber.attenuationDbPerKm > 0 else {
                throw QKDError(.invalidParameter, "sweep loss \(value) dB cannot be reached with fibre extra loss \(link.fiber.extraLossDb) dB and attenuation \(link.fiber.attenuationDbPerKm) dB/km")
            }
            let length = (value - link.fiber.extraLossDb) / link.fiber.attenuationDbPerKm
            link.fiber = try Fiber(lengthKm: length, attenuationDbPerKm: link.fiber.attenuationDbPerKm, extraLossDb: link.fiber.extraLossDb)
        case .blockSize:
            guard value == value.rounded(), value < 1e15 else {
                throw QKDError(.invalidParameter, "sweep blockSize must be a whole number of bits, got \(value)")
            }
            copy.postProcessing = try PostProcessingConfiguration(
                blockSize: Int(value), keySize: configuration.postProcessing.keySize, security: configuration.postProcessing.security,
                reconciliation: configuration.postProcessing.reconciliation)
        case .g2:
            guard case .quantumDot(let dot) = link.source else {
                throw QKDError(.invalidParameter, "\(configuration.name): sweep g2 applies to a quantum-dot source, not a laser")
            }
            link.source = .quantumDot(try QuantumDotSource(
                repetitionRate: dot.repetitionRate, meanPhotonNumber: dot.meanPhotonNumber, g2: value,
                radiativeLifetime: dot.radiativeLifetime, brightFraction: dot.brightFraction))
        case .darkCounts:
            let detector = link.detector
            link.detector = try SinglePhotonDetector(
                efficiency: detector.efficiency, darkCountRate: value, timingJitter: detector.timingJitter,
                deadTime: detector.deadTime, afterpulseProbability: detector.afterpulseProbability)
        }
        copy.link = try LinkConfiguration(
            source: link.source, encoder: link.encoder, fiber: link.fiber, decoder: link.decoder, detector: link.detector, tagger: link.tagger)
        return copy
    }
}
