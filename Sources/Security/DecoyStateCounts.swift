import QKDCore

/// What one block of the decoy-state three-state protocol observed: for each intensity, the
/// pulses sent at it and the `ThreeStateCounts` of (state, result).
public struct DecoyStateCounts: Sendable, Equatable, Codable {
    /// Index k is intensity k (signal first); each `pulses` is the pulses sent at that intensity.
    public var perIntensity: [ThreeStateCounts]

    /// Creates counts; there must be two or three intensities.
    public init(perIntensity: [ThreeStateCounts]) throws {
        guard perIntensity.count == 2 || perIntensity.count == 3 else {
            throw QKDError(.invalidParameter, "decoy counts need 2 or 3 intensities, got \(perIntensity.count)")
        }
        self.perIntensity = perIntensity
    }

    /// All intensities together.
    public var total: ThreeStateCounts { perIntensity.dropFirst().reduce(perIntensity[0], +) }

    /// The count of (state, result) at intensity k.
    public func count(intensity k: Int, state: Int, result: Int) -> Double {
        Double(perIntensity[k].count(state: state, result: result))
    }
}
