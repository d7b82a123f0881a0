import Foundation
import Photonics
import QKDCore
import Security

/// The JSON format of presets and configuration files.
///
/// A document has sections `source`, `encoder`, `fiber`, `decoder`, `detector`, `tagger` and
/// `postProcessing`; each parameter is `{ "value": 0.74, "unit": "fraction", "origin": "..." }`
/// (the unit is checked, the origin says where the value comes from) or a bare number in the
/// parameter's unit. A configuration file may start from a preset with `"preset": "paper-120km"`
/// and override only some parameters. Unknown sections or parameters are errors, so a typo never
/// silently leaves a default in place.
public struct ConfigurationDocument: Sendable {
    /// Expected unit of every parameter, by section.
    static let schema: [String: [String: String]] = [
        "source": ["repetitionRate": "Hz", "meanPhotonNumber": "photons/pulse", "g2": "fraction", "radiativeLifetime": "s"],
        "encoder": ["zBasisProbability": "fraction", "timeBinSeparation": "s"],
        "fiber": ["lengthKm": "km", "attenuationDbPerKm": "dB/km", "extraLossDb": "dB"],
        "decoder": ["insertionLossDb": "dB", "visibility": "fraction", "phaseOffset": "rad"],
        "detector": ["efficiency": "fraction", "darkCountRate": "Hz", "timingJitter": "s"],
        "tagger": ["gateWidth": "s", "gateOffset": "s"],
        "postProcessing": ["blockSize": "bits", "keySize": "bits", "epsilonCorrectness": "probability", "epsilonSecrecy": "probability"],
    ]

    /// The document's name (preset name or file path).
    public let name: String
    private let values: [String: [String: Double]]

    /// Parses a document; `resolvePreset` supplies the base document named by `"preset"`.
    public init(data: Data, name: String, resolvePreset: (String) throws -> ConfigurationDocument) throws {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw QKDError(.malformedInput, "\(name): not valid JSON (\(Self.shortReason(error)))")
        }
        guard case .object(let object) = root else {
            throw QKDError(.malformedInput, "\(name): the top level must be a JSON object")
        }
        var values: [String: [String: Double]] = [:]
        if let base = object["preset"] {
            guard case .string(let baseName) = base else {
                throw QKDError(.malformedInput, "\(name): \"preset\" must be a preset name")
            }
            values = try resolvePreset(baseName).values
        }
        for (key, section) in object where !["name", "description", "preset"].contains(key) {
            guard let expected = Self.schema[key] else {
                throw QKDError(.malformedInput, "\(name): unknown section \"\(key)\" (known: \(Self.schema.keys.sorted().joined(separator: ", ")))")
            }
            guard case .object(let parameters) = section else {
                throw QKDError(.malformedInput, "\(name): section \"\(key)\" must be an object")
            }
            for (parameter, entry) in parameters {
                guard let unit = expected[parameter] else {
                    throw QKDError(.malformedInput, "\(name): unknown parameter \"\(key).\(parameter)\" (known: \(expected.keys.sorted().joined(separator: ", ")))")
                }
                values[key, default: [:]][parameter] = try Self.number(entry, path: "\(key).\(parameter)", unit: unit, document: name)
            }
        }
        self.name = name
        self.values = values
    }

    private static func number(_ entry: JSONValue, path: String, unit: String, document: String) throws -> Double {
        if case .number(let number) = entry { return number }
        guard case .object(let object) = entry else {
            throw QKDError(.malformedInput, "\(document): \(path) must be a number or {\"value\": ..., \"unit\": \"\(unit)\"}, not \(entry.kind)")
        }
        guard case .number(let number) = object["value"] else {
            throw QKDError(.malformedInput, "\(document): \(path) has no numeric \"value\"")
        }
        if let given = object["unit"] {
            guard case .string(let givenUnit) = given, givenUnit == unit else {
                throw QKDError(.malformedInput, "\(document): \(path) must be given in \(unit), not \(given.kind)")
            }
        }
        return number
    }

    private func value(_ section: String, _ parameter: String) throws -> Double {
        guard let value = values[section]?[parameter] else {
            throw QKDError(.malformedInput, "\(name): missing parameter \(section).\(parameter) (\(Self.schema[section]![parameter]!))")
        }
        guard value.isFinite else {
            throw QKDError(.invalidParameter, "\(name): \(section).\(parameter) is not a finite number")
        }
        return value
    }

    private func integer(_ section: String, _ parameter: String) throws -> Int {
        let raw = try value(section, parameter)
        guard raw == raw.rounded(), abs(raw) < 1e15 else {
            throw QKDError(.invalidParameter, "\(name): \(section).\(parameter) must be a whole number, got \(raw)")
        }
        return Int(raw)
    }

    /// Builds the configuration, validating every device (errors name the parameter).
    public func configuration() throws -> NodeConfiguration {
        do {
            let link = try LinkConfiguration(
                source: QuantumDotSource(
                    repetitionRate: value("source", "repetitionRate"), meanPhotonNumber: value("source", "meanPhotonNumber"),
                    g2: value("source", "g2"), radiativeLifetime: value("source", "radiativeLifetime")),
                encoder: TimeBinEncoder(
                    zBasisProbability: value("encoder", "zBasisProbability"), timeBinSeparation: value("encoder", "timeBinSeparation")),
                fiber: Fiber(
                    lengthKm: value("fiber", "lengthKm"), attenuationDbPerKm: value("fiber", "attenuationDbPerKm"),
                    extraLossDb: value("fiber", "extraLossDb")),
                decoder: TimeBinDecoder(
                    insertionLossDb: value("decoder", "insertionLossDb"), visibility: value("decoder", "visibility"),
                    phaseOffset: value("decoder", "phaseOffset")),
                detector: SinglePhotonDetector(
                    efficiency: value("detector", "efficiency"), darkCountRate: value("detector", "darkCountRate"),
                    timingJitter: value("detector", "timingJitter")),
                tagger: TimeTagger(gateWidth: value("tagger", "gateWidth"), gateOffset: value("tagger", "gateOffset")))
            let postProcessing = try PostProcessingConfiguration(
                blockSize: integer("postProcessing", "blockSize"), keySize: integer("postProcessing", "keySize"),
                security: SecurityParameters(
                    epsilonCorrectness: value("postProcessing", "epsilonCorrectness"),
                    epsilonSecrecy: value("postProcessing", "epsilonSecrecy")))
            return NodeConfiguration(name: name, link: link, postProcessing: postProcessing)
        } catch let error as QKDError where error.code == .invalidParameter && !error.message.hasPrefix(name) {
            throw QKDError(.invalidParameter, "\(name): \(error.message)")
        }
    }

    private static func shortReason(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "unreadable"
    }
}
