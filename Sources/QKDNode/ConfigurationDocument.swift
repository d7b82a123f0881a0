import Foundation
import Photonics
import QKDCore
import Security

/// The JSON format of presets and configuration files.
///
/// A document has sections `source`, `encoder`, `fiber`, `decoder`, `detector`, `tagger` and
/// `postProcessing`; each parameter is `{ "value": 0.74, "unit": "fraction", "origin": "..." }`
/// (the unit is checked, the origin says where the value comes from) or a bare number in the
/// parameter's unit. Two parameters are names, not numbers: `source.kind` (`quantum-dot`, the
/// default, or `laser`, whose parameters are the intensities and their probabilities) and
/// `encoder.alphabet` (`three-state`, the default, or `bb84`); a third,
/// `postProcessing.reconciliation` (`cascade`, the default, `ldpc` or `auto`), chooses the error
/// correction (`ReconciliationSetting`). A configuration file may start
/// from a preset with `"preset": "paper-120km"` and override only some parameters; overriding
/// `source.kind` replaces the preset's whole source section. Unknown sections or parameters, and
/// parameters of the other source kind, are errors, so a typo never silently leaves a default
/// in place.
public struct ConfigurationDocument: Sendable {
    /// Expected unit of every parameter, by section; `name` marks a parameter whose value is one
    /// of `choices`.
    static let schema: [String: [String: String]] = [
        "source": [
            "kind": "name", "repetitionRate": "Hz", "meanPhotonNumber": "photons/pulse", "g2": "fraction", "radiativeLifetime": "s",
            "brightFraction": "fraction", "signalIntensity": "photons/pulse", "decoyIntensity": "photons/pulse",
            "secondDecoyIntensity": "photons/pulse", "signalProbability": "fraction", "decoyProbability": "fraction", "pulseDuration": "s",
        ],
        "encoder": ["alphabet": "name", "zBasisProbability": "fraction", "timeBinSeparation": "s", "statePreparationError": "fraction"],
        "fiber": ["lengthKm": "km", "attenuationDbPerKm": "dB/km", "extraLossDb": "dB"],
        "decoder": ["insertionLossDb": "dB", "visibility": "fraction", "phaseOffset": "rad"],
        "detector": ["efficiency": "fraction", "darkCountRate": "Hz", "timingJitter": "s", "deadTime": "s", "afterpulseProbability": "fraction"],
        "tagger": ["gateWidth": "s", "gateOffset": "s"],
        "postProcessing": ["reconciliation": "name", "blockSize": "bits", "keySize": "bits", "epsilonCorrectness": "probability", "epsilonSecrecy": "probability"],
    ]

    /// The allowed values of each name parameter, the first being the default.
    static let choices: [String: [String]] = [
        "source.kind": ["quantum-dot", "laser"],
        "encoder.alphabet": EncodingAlphabet.allCases.map(\.rawValue),
        "postProcessing.reconciliation": ReconciliationSetting.allCases.map(\.rawValue),
    ]

    /// Source parameters that belong to one kind only.
    static let sourceParameters: [String: Set<String>] = [
        "quantum-dot": ["meanPhotonNumber", "g2", "radiativeLifetime", "brightFraction"],
        "laser": ["signalIntensity", "decoyIntensity", "secondDecoyIntensity", "signalProbability", "decoyProbability", "pulseDuration"],
    ]

    /// The document's name (preset name or file path).
    public let name: String
    private let values: [String: [String: Double]]
    private let names: [String: String]

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
        var names: [String: String] = [:]
        if let base = object["preset"] {
            guard case .string(let baseName) = base else {
                throw QKDError(.malformedInput, "\(name): \"preset\" must be a preset name")
            }
            let baseDocument = try resolvePreset(baseName)
            values = baseDocument.values
            names = baseDocument.names
        }
        if case .object(let source) = object["source"], let kind = source["kind"],
           try Self.name(kind, path: "source.kind", document: name) != names["source.kind", default: "quantum-dot"] {
            values["source"] = nil
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
                if unit == "name" {
                    names["\(key).\(parameter)"] = try Self.name(entry, path: "\(key).\(parameter)", document: name)
                } else {
                    values[key, default: [:]][parameter] = try Self.number(entry, path: "\(key).\(parameter)", unit: unit, document: name)
                }
            }
        }
        self.name = name
        self.values = values
        self.names = names
    }

    private static func name(_ entry: JSONValue, path: String, document: String) throws -> String {
        var text: JSONValue = entry
        if case .object(let object) = entry, let value = object["value"] { text = value }
        let allowed = choices[path]!
        guard case .string(let value) = text, allowed.contains(value) else {
            throw QKDError(.malformedInput, "\(document): \(path) must be one of \(allowed.joined(separator: ", ")), not \(text.kind)")
        }
        return value
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

    private func value(_ section: String, _ parameter: String, default fallback: Double? = nil) throws -> Double {
        guard let value = values[section]?[parameter] ?? fallback else {
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
                source: source(),
                encoder: TimeBinEncoder(
                    zBasisProbability: value("encoder", "zBasisProbability"), timeBinSeparation: value("encoder", "timeBinSeparation"),
                    alphabet: EncodingAlphabet(rawValue: names["encoder.alphabet", default: "three-state"])!,
                    statePreparationError: value("encoder", "statePreparationError", default: 0)),
                fiber: Fiber(
                    lengthKm: value("fiber", "lengthKm"), attenuationDbPerKm: value("fiber", "attenuationDbPerKm"),
                    extraLossDb: value("fiber", "extraLossDb")),
                decoder: TimeBinDecoder(
                    insertionLossDb: value("decoder", "insertionLossDb"), visibility: value("decoder", "visibility"),
                    phaseOffset: value("decoder", "phaseOffset")),
                detector: SinglePhotonDetector(
                    efficiency: value("detector", "efficiency"), darkCountRate: value("detector", "darkCountRate"),
                    timingJitter: value("detector", "timingJitter"), deadTime: value("detector", "deadTime", default: 0),
                    afterpulseProbability: value("detector", "afterpulseProbability", default: 0)),
                tagger: TimeTagger(gateWidth: value("tagger", "gateWidth"), gateOffset: value("tagger", "gateOffset")))
            let postProcessing = try PostProcessingConfiguration(
                blockSize: integer("postProcessing", "blockSize"), keySize: integer("postProcessing", "keySize"),
                security: SecurityParameters(
                    epsilonCorrectness: value("postProcessing", "epsilonCorrectness"),
                    epsilonSecrecy: value("postProcessing", "epsilonSecrecy")),
                reconciliation: ReconciliationSetting(rawValue: names["postProcessing.reconciliation", default: "cascade"])!)
            return NodeConfiguration(name: name, link: link, postProcessing: postProcessing)
        } catch let error as QKDError where error.code == .invalidParameter && !error.message.hasPrefix(name) {
            throw QKDError(.invalidParameter, "\(name): \(error.message)")
        }
    }

    /// The source section as a quantum dot or a laser, refusing parameters of the other kind.
    private func source() throws -> PhotonSource {
        let kind = names["source.kind", default: "quantum-dot"]
        let foreign = Self.sourceParameters.filter { $0.key != kind }.values.joined()
        if let stray = values["source", default: [:]].keys.sorted().first(where: { foreign.contains($0) }) {
            throw QKDError(.malformedInput, "\(name): parameter source.\(stray) does not apply to a \(kind) source")
        }
        if kind == "quantum-dot" {
            return .quantumDot(try QuantumDotSource(
                repetitionRate: value("source", "repetitionRate"), meanPhotonNumber: value("source", "meanPhotonNumber"),
                g2: value("source", "g2"), radiativeLifetime: value("source", "radiativeLifetime"),
                brightFraction: value("source", "brightFraction", default: 1)))
        }
        var intensities = [try value("source", "signalIntensity"), try value("source", "decoyIntensity")]
        var probabilities = [try value("source", "signalProbability"), try value("source", "decoyProbability")]
        if values["source"]?["secondDecoyIntensity"] != nil {
            intensities.append(try value("source", "secondDecoyIntensity"))
            probabilities.append(1 - probabilities[0] - probabilities[1])
        }
        return .weakCoherent(try WeakCoherentSource(
            repetitionRate: value("source", "repetitionRate"), intensities: intensities, intensityProbabilities: probabilities,
            pulseDuration: value("source", "pulseDuration", default: 0)))
    }

    private static func shortReason(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "unreadable"
    }
}
