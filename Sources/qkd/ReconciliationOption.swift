import QKDCore
import QKDNode

/// Parses `--reconciliation cascade|ldpc|auto` into the configuration it overrides.
enum ReconciliationOption {
    /// `configuration` with its error correction replaced by `value`, if given; a one-line error
    /// for an unknown name.
    static func apply(_ value: String?, to configuration: NodeConfiguration) throws -> NodeConfiguration {
        guard let value else { return configuration }
        guard let setting = ReconciliationSetting(rawValue: value) else {
            throw QKDError(.invalidParameter, "--reconciliation must be one of \(ReconciliationSetting.allCases.map(\.rawValue).joined(separator: ", ")), got \(value)")
        }
        var copy = configuration
        copy.postProcessing.reconciliation = setting
        return copy
    }

    /// The help text of the option.
    static let help = "Error correction: cascade, ldpc (where its codes serve the QBER) or auto (the method expected to cost the least key; see docs/reconciliation.md). Overrides postProcessing.reconciliation (default cascade)."
}
