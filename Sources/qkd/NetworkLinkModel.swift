import Foundation
import KeyRelay
import QKDCore
import QKDNode

/// The devices and secret key rate of a link of a network file: its preset, with its length and
/// its `parameters` applied as a configuration file would override them (`ConfigurationDocument`),
/// so that a link takes exactly the parameters `qkd demo --config` does and is checked the same
/// way.
enum NetworkLinkModel {
    /// The link's configuration: the preset, `fiber.lengthKm` set to the link's length, and each
    /// `section.parameter` override applied. Throws the configuration's `QKDError` naming the
    /// link and the parameter (an unknown preset, section or parameter, a value its device
    /// refuses).
    static func configuration(of link: NetworkDescription.Link) throws -> NodeConfiguration {
        let name = "link \"\(link.id)\""
        do {
            return try ConfigurationDocument(data: try document(of: link), name: name, resolvePreset: PresetCatalog.document(named:)).configuration()
        } catch let error as QKDError where !error.message.hasPrefix(name) {
            throw QKDError(error.code, "\(name): \(error.message)")
        }
    }

    /// The link as a configuration file (JSON): `{"preset": ..., "fiber": {"lengthKm": ...},
    /// "section": {"parameter": value}, ...}`, as `qkd optics` and `qkd node --config` read it.
    static func document(of link: NetworkDescription.Link) throws -> Data {
        var sections: [String: [String: Double]] = ["fiber": ["lengthKm": link.lengthKm]]
        for (name, value) in link.parameters {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            sections[parts[0], default: [:]][parts[1]] = value
        }
        var document: [String: Any] = ["preset": link.preset]
        for (section, parameters) in sections { document[section] = parameters }
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
    }

    /// The link's finite-key secret key rate from the analytic link model, in bit/s (0 where the
    /// model gives no key).
    static func secretKeyRate(of link: NetworkDescription.Link) throws -> Double {
        let point = try KeyRateStudy(configuration: configuration(of: link))
            .run(sweep: SweepSpecification(parsing: "distance=\(link.lengthKm)"))[0]
        return point.noKeyReason == nil ? max(0, point.secretKeyRate) : 0
    }
}
