import Foundation

/// The human-readable summary of a demo run.
public struct DemoReport {
    /// The run's summary.
    public var summary: DemoSummary

    /// Creates a report.
    public init(summary: DemoSummary) { self.summary = summary }

    /// The report text.
    public var text: String {
        let s = summary
        var lines = [
            "QKDKit demo: \(s.preset), \(number(s.distanceKm)) km of fibre (\(fixed(s.lossDb, 2)) dB), \(duration(s.durationSeconds)) of link time, seed \(s.seed)",
            "  pulses sent          \(scientific(Double(s.pulses)))",
            "  detections           \(grouped(s.detections)) (\(fixed(Double(s.detections) / s.durationSeconds, 1)) /s)",
            "  sifted               Z \(grouped(s.siftedBitsZ)) bits, X \(grouped(s.siftedBitsX)) events",
            "  QBER                 Z \(percent(s.qberZ)), X \(percent(s.qberX)) (phase error bound \(percent(s.phaseErrorRateUpper)))",
            s.disclosedBits == 0
                ? "  error correction     not run: no block could give key"
                : "  error correction     \(methods(s.blocksByMethod)), \(grouped(s.disclosedBits)) bits disclosed (f = \(fixed(s.efficiency, 3))), \(s.roundTrips) round trips\(s.blocksDiscarded > 0 ? ", \(s.blocksDiscarded) block(s) discarded" : "")",
            "  verification         \(s.verificationBits) tag bits disclosed, \(s.verificationFailures) block(s) failed",
            "  blocks               \(s.blocks) finite-key block(s), \(s.blocksWithKey) with key",
            "  secret key           \(grouped(s.secretBits)) bits = \(fixed(s.secretKeyRate, 2)) bit/s = \(scientific(s.secretBitsPerPulse)) bit/pulse",
            "  repeaterless bound   \(scientific(s.repeaterlessBoundBitsPerPulse)) bit/pulse at this loss",
            "  security             eps_cor \(scientific(s.epsilonCorrectness)), eps_sec \(scientific(s.epsilonSecrecy)) per block (eps = \(scientific(s.epsilonSecurity)))",
        ]
        if s.keyStores.isEmpty {
            lines.append("  key stores           none written: no key")
        } else {
            lines.append("  key stores           \(s.keyStores.joined(separator: ", "))")
            lines.append("                       \(s.keysStored) keys of \(s.keySizeBits) bits on each side, \(s.keysIdentical ? "identical IDs and bits" : "MISMATCH")")
        }
        if let reason = s.noKeyReason {
            lines.append("  no secret key        \(reason)")
        }
        return lines.joined(separator: "\n")
    }

    /// "Cascade", "LDPC", or "Cascade (3 blocks), LDPC (5 blocks)".
    private func methods(_ blocks: [String: Int]) -> String {
        let names = ["cascade": "Cascade", "ldpc": "LDPC"]
        let used = blocks.keys.sorted()
        if used.count <= 1 { return used.first.map { names[$0] ?? $0 } ?? "Cascade" }
        return used.map { "\(names[$0] ?? $0) (\(blocks[$0]!) blocks)" }.joined(separator: ", ")
    }

    private func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    private func percent(_ value: Double) -> String { String(format: "%.2f %%", value * 100) }
    private func scientific(_ value: Double) -> String { String(format: "%.3g", value) }
    private func number(_ value: Double) -> String { String(format: "%g", value) }
    private func grouped<T: BinaryInteger>(_ value: T) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
    private func duration(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) min" }
        return "\(number(seconds)) s"
    }
}
