import QKDCore

/// One click of Bob's time tagger during the acquisition pilot: its time on Bob's clock and the
/// detector.
public struct PilotTag: Sendable, Equatable {
    /// Time on Bob's clock (s).
    public var time: Double
    /// Which detector clicked.
    public var detector: UInt8

    /// Creates a tag.
    public init(time: Double, detector: UInt8) {
        self.time = time
        self.detector = detector
    }
}

/// The pilot with which the link acquires time-bin synchronisation before key exchange: Alice
/// sends Z-basis states following a pseudo-random pattern both nodes derive from a public seed
/// (`patternBit(slot:seed:)`, late when true), and Bob's tagger records every click on his own
/// clock. Nothing of the pilot becomes key.
///
/// `tags` draws the clicks of such a pilot from the link's physics: the number of photon clicks
/// is Poisson with the expected number (one click per detected pulse), each in a uniformly drawn
/// pulse of the pilot, with the decoder's routing for that pulse's state and the emission
/// profile's delay; dark counts are uniform in time. Bob's clock reads Alice's time `t` as
/// `t + offset + fractionalFrequency · t` (`ClockDrift` over the pilot's seconds, the fibre's
/// delay constant).
public enum AcquisitionPilot {
    /// Alice's pilot state in pulse `slot`: late (`true`) or early, from a SplitMix64 hash of the
    /// slot and the public pattern seed.
    public static func patternBit(slot: Int64, seed: UInt64) -> Bool {
        var z = UInt64(bitPattern: slot) &+ seed &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return (z ^ (z >> 31)) & 1 == 1
    }

    /// Bob's clicks, in time order, for the pilot pulses `firstSlot ..< firstSlot + pulses` of
    /// `configuration`: the photons arrive `offset + fractionalFrequency · t` late on Bob's clock
    /// at Alice's time `t`.
    public static func tags(configuration: LinkConfiguration, firstSlot: Int64, pulses: UInt64, patternSeed: UInt64,
                            offset: Double, fractionalFrequency: Double, using generator: inout SeededGenerator) -> [PilotTag] {
        let period = 1 / configuration.source.repetitionRate
        let separation = configuration.encoder.timeBinSeparation
        let source = configuration.source
        let timing = source.timingModel(detectorJitter: configuration.detector.timingJitter)
        let routing = [PreparedState.early, .late].map { state in
            let photon = configuration.encoder.photonState(state)
            return (0..<6).map { configuration.decoder.routingProbability(photon: photon, slot: $0 / 2, detector: $0 % 2) }
        }
        let clicksPerPulse = routing.map { weights in
            (0..<source.intensityCount).reduce(0.0) { sum, intensity in
                sum + source.intensityProbability(intensity)
                    * source.detectionProbability(perPhotonTransmittance: configuration.photonTransmittance * weights.reduce(0, +), intensity: intensity)
            }
        }.reduce(0, +) / 2
        var tags: [PilotTag] = []
        func bobTime(_ aliceTime: Double) -> Double { aliceTime + offset + fractionalFrequency * aliceTime }
        for _ in 0..<generator.nextPoisson(mean: clicksPerPulse * Double(pulses)) {
            let slot = firstSlot + Int64(generator.nextUnitInterval() * Double(pulses))
            let weights = routing[patternBit(slot: slot, seed: patternSeed) ? 1 : 0]
            var u = generator.nextUnitInterval() * weights.reduce(0, +)
            var choice = 0
            while choice < 5, u >= weights[choice] {
                u -= weights[choice]
                choice += 1
            }
            let arrival = Double(slot) * period + Double(choice / 2) * separation + timing.drawDelay(using: &generator)
            tags.append(PilotTag(time: bobTime(arrival), detector: UInt8(choice % 2)))
        }
        let span = Double(pulses) * period
        for _ in 0..<generator.nextPoisson(mean: 2 * configuration.detector.darkCountRate * span) {
            let time = Double(firstSlot) * period + generator.nextUnitInterval() * span
            tags.append(PilotTag(time: bobTime(time), detector: generator.nextBernoulli(0.5) ? 1 : 0))
        }
        return tags.sorted { $0.time < $1.time }
    }
}
