/// Which error correction a node runs (`postProcessing.reconciliation` in a configuration file,
/// `--reconciliation` on the command line).
public enum ReconciliationSetting: String, CaseIterable, Codable, Sendable {
    /// Cascade for every block (the default: today's behaviour).
    case cascade
    /// Rate-adaptive LDPC for every block whose estimated QBER the LDPC codes serve
    /// (`LDPCRateAdaptation.supportedQBER`), Cascade for the others.
    case ldpc
    /// The method `ReconciliationSelector` expects to cost the block the least key.
    case auto
}
