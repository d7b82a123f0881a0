import Foundation
import QKDCore

/// The presets shipped with QKDKit (JSON files in the `Presets` resource folder) and loading of
/// user configuration files.
public enum PresetCatalog {
    /// Names of the shipped presets.
    public static var names: [String] {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("Presets"),
              let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The document of a shipped preset.
    public static func document(named name: String) throws -> ConfigurationDocument {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Presets"),
              let data = try? Data(contentsOf: url)
        else {
            throw QKDError(.notFound, "unknown preset \"\(name)\" (available: \(names.joined(separator: ", ")))")
        }
        return try ConfigurationDocument(data: data, name: name, resolvePreset: document(named:))
    }

    /// The configuration of a shipped preset.
    public static func configuration(named name: String) throws -> NodeConfiguration {
        try document(named: name).configuration()
    }

    /// The configuration in a user's file (which may start from a preset).
    public static func configuration(file path: String) throws -> NodeConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QKDError(.notFound, "cannot read configuration file \(path)")
        }
        return try ConfigurationDocument(data: data, name: path, resolvePreset: document(named:)).configuration()
    }
}
