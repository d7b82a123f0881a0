import Foundation
import QKDCore
import Security

/// One block's observed numbers and protocol parameters, as read by `qkd keyrate --counts FILE`
/// and written by `qkd demo --blocks-out FILE`. The schema is documented in docs/security.md.
public struct KeyRateRequest: Codable, Sendable, Equatable {
    /// `three-state-single-photon` or `bb84-single-photon` (quantum-dot source),
    /// `three-state-decoy` or `bb84-decoy` (laser).
    public var `protocol`: String
    /// Alice's probability of a Z state.
    public var zBasisProbability: Double
    /// Bob's q_Z / q_X (1 for the passive interferometric decoder).
    public var bobBasisRatio: Double
    /// The single-photon source's characterisation (single-photon protocol only).
    public var source: Source?
    /// The laser's intensities (decoy protocol only).
    public var decoy: Decoy?
    /// Correctness epsilon.
    public var epsilonCorrectness: Double
    /// Secrecy epsilon.
    public var epsilonSecrecy: Double
    /// Bits disclosed by error correction plus the verification tag.
    public var leakage: Int
    /// Link time of the block (s), for a rate in bit/s; optional.
    public var durationSeconds: Double?
    /// Counts: one entry (single-photon) or one per intensity, signal first (decoy).
    public var counts: [Counts]

    /// A quantum-dot source's characterisation.
    public struct Source: Codable, Sendable, Equatable {
        /// Mean photon number per pulse leaving Alice.
        public var meanPhotonNumber: Double
        /// g2(0).
        public var g2: Double
    }

    /// A laser's decoy settings.
    public struct Decoy: Codable, Sendable, Equatable {
        /// Mean photon numbers, signal first.
        public var intensities: [Double]
        /// Probability of each intensity.
        public var probabilities: [Double]
    }

    /// Bob's results per Alice state: `[Z-early, Z-late, X-plus, X-minus]`.
    public struct Counts: Codable, Sendable, Equatable {
        /// Pulses sent (at this intensity).
        public var pulses: UInt64
        /// Results when Alice sent |early>.
        public var early: [UInt64]
        /// Results when Alice sent |late>.
        public var late: [UInt64]
        /// Results when Alice sent |+>.
        public var plus: [UInt64]
        /// Results when Alice sent |-> (BB84 only).
        public var minus: [UInt64]?

        private enum CodingKeys: String, CodingKey { case pulses, early, late, plus, minus }

        /// Decodes counts, refusing negative or fractional numbers with the field's name.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func count(_ value: Double, _ key: CodingKeys) throws -> UInt64 {
                guard value >= 0, value == value.rounded(), value < 1.8e19 else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "must hold non-negative whole numbers, got \(value)")
                }
                return UInt64(value)
            }
            func counts(_ key: CodingKeys) throws -> [UInt64] {
                try container.decode([Double].self, forKey: key).map { try count($0, key) }
            }
            pulses = try count(try container.decode(Double.self, forKey: .pulses), .pulses)
            early = try counts(.early)
            late = try counts(.late)
            plus = try counts(.plus)
            minus = container.contains(.minus) ? try counts(.minus) : nil
        }

        /// The counts as the analysis takes them.
        func threeStateCounts(_ label: String, fourStates: Bool) throws -> ThreeStateCounts {
            let rows = [early, late, plus] + (minus.map { [$0] } ?? [])
            guard rows.allSatisfy({ $0.count == 4 }) else {
                throw QKDError(.invalidParameter, "\(label): every state must list 4 counts [zEarly, zLate, xPlus, xMinus]")
            }
            guard (minus != nil) == fourStates else {
                throw QKDError(.invalidParameter, "\(label): \(fourStates ? "BB84 needs" : "the three-state protocol has no") counts for \"minus\"")
            }
            return try ThreeStateCounts(pulses: pulses, counts: rows)
        }

        /// The same layout from analysis counts.
        init(_ counts: ThreeStateCounts) {
            pulses = counts.pulses
            early = counts.counts[0]
            late = counts.counts[1]
            plus = counts.counts[2]
            minus = counts.isFourState ? counts.counts[3] : nil
        }
    }

    /// Reads one request (a JSON object) or several (an array), naming the field that is
    /// missing or malformed.
    public static func load(path: String) throws -> [KeyRateRequest] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QKDError(.notFound, "cannot read counts file \(path)")
        }
        let isArray = data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "[")
        do {
            let requests = isArray ? try JSONDecoder().decode([KeyRateRequest].self, from: data) : [try JSONDecoder().decode(KeyRateRequest.self, from: data)]
            guard !requests.isEmpty else { throw QKDError(.malformedInput, "\(path): the array of blocks is empty") }
            return requests
        } catch let error as DecodingError {
            throw QKDError(.malformedInput, "\(path): \(Self.describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \(parent == "the top level" ? "" : parent + ".")\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context)) has the wrong type (\(context.debugDescription))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)) \(context.debugDescription)"
        @unknown default:
            return "malformed"
        }
    }

    /// The security targets.
    func securityParameters() throws -> SecurityParameters {
        try SecurityParameters(epsilonCorrectness: epsilonCorrectness, epsilonSecrecy: epsilonSecrecy)
    }

    /// Runs the analysis the request names.
    public func evaluate(finiteSize: Bool = true, inequality: MartingaleBounds.Inequality = .chernoff) throws -> SecretKeyBound {
        let fourStates = self.protocol.hasPrefix("bb84")
        switch self.protocol {
        case "three-state-single-photon", "bb84-single-photon":
            guard let source else { throw QKDError(.invalidParameter, "protocol \(self.protocol) needs \"source\": {meanPhotonNumber, g2}") }
            guard counts.count == 1 else { throw QKDError(.invalidParameter, "protocol \(self.protocol) takes exactly one counts entry, got \(counts.count)") }
            let description = try ThreeStateProtocol(
                zBasisProbability: zBasisProbability, bobBasisRatio: bobBasisRatio, meanPhotonNumber: source.meanPhotonNumber, g2: source.g2)
            return try ThreeStateFiniteKeyAnalysis(
                protocolDescription: description, security: securityParameters(), finiteSize: finiteSize, inequality: inequality)
                .secretKey(counts: counts[0].threeStateCounts("counts[0]", fourStates: fourStates), leakage: leakage)
        case "three-state-decoy", "bb84-decoy":
            guard let decoy else { throw QKDError(.invalidParameter, "protocol \(self.protocol) needs \"decoy\": {intensities, probabilities}") }
            let description = try DecoyStateProtocol(
                zBasisProbability: zBasisProbability, bobBasisRatio: bobBasisRatio, intensities: decoy.intensities, intensityProbabilities: decoy.probabilities)
            let perIntensity = try counts.enumerated().map { try $0.element.threeStateCounts("counts[\($0.offset)]", fourStates: fourStates) }
            return try DecoyStateFiniteKeyAnalysis(
                protocolDescription: description, security: securityParameters(), finiteSize: finiteSize, inequality: inequality)
                .secretKey(counts: DecoyStateCounts(perIntensity: perIntensity), leakage: leakage)
        default:
            throw QKDError(.invalidParameter, "unknown protocol \"\(self.protocol)\" (known: three-state-single-photon, bb84-single-photon, three-state-decoy, bb84-decoy)")
        }
    }

    /// The request that reproduces a demo block's secret length.
    public init(block: BlockReport, configuration: NodeConfiguration) {
        let link = configuration.link
        self.protocol = "three-state-single-photon"
        zBasisProbability = link.encoder.zBasisProbability
        bobBasisRatio = 1
        let analysed = try? configuration.protocolDescription
        source = Source(meanPhotonNumber: analysed?.meanPhotonNumber ?? 0, g2: analysed?.g2 ?? 0)
        decoy = nil
        epsilonCorrectness = configuration.postProcessing.security.epsilonCorrectness
        epsilonSecrecy = configuration.postProcessing.security.epsilonSecrecy
        leakage = block.disclosedBits + block.verificationBits
        durationSeconds = Double(block.pulses) / link.source.repetitionRate
        counts = [Counts(block.counts)]
    }
}
