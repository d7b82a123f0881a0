import Photonics
import QKDCore
import Security

/// Key rate versus a swept parameter, asymptotic and finite-key, from the analytic link model
/// (fast) or from the event-level emulator (faithful), with optional optimisation of the
/// parameters a user would tune.
///
/// A finite-key block holds `postProcessing.blockSize` sifted Z bits, as in `qkd demo`; the
/// analytic path evaluates the expected counts of the pulses that fill one block. Leakage is that
/// of `KeyRateModel` (f = 1.06 plus the verification tag). With `optimize`, Alice's Z-basis
/// probability (both sources) and the laser's signal and decoy intensities and the signal
/// probability are chosen per point to maximise the finite-key rate.
public struct KeyRateStudy: Sendable {
    /// The link and post-processing, before the sweep changes one parameter.
    public var configuration: NodeConfiguration
    /// Whether parameters are optimised at each point.
    public var optimize: Bool

    /// Blocks needing more pulses than this give no key (about 400 years at 76 MHz).
    static let maximumBlockPulses = 1e18
    /// Pulses of the asymptotic evaluation: large enough that rounding counts does not matter.
    static let asymptoticPulses = 1e17

    /// Creates a study.
    public init(configuration: NodeConfiguration, optimize: Bool = false) {
        self.configuration = configuration
        self.optimize = optimize
    }

    /// Evaluates the analytic model at every value of the sweep.
    public func run(sweep: SweepSpecification) throws -> [KeyRatePoint] {
        try sweep.values.map { value in
            try point(try sweep.apply(value, to: configuration), sweep: sweep, value: value)
        }
    }

    /// Runs the event-level emulator for `durationSeconds` of link time at every value of the
    /// sweep, with the same seed at every point.
    public func runEmulated(sweep: SweepSpecification, durationSeconds: Double, seed: UInt64) throws -> [KeyRatePoint] {
        guard durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "emulated duration must be positive, got \(durationSeconds) s")
        }
        return try sweep.values.map { value in
            var tuned = try sweep.apply(value, to: configuration)
            if optimize { tuned = try optimised(tuned) }
            return try emulatedPoint(tuned, sweep: sweep, value: value, durationSeconds: durationSeconds, seed: seed)
        }
    }

    /// The analytic point of one configuration (optimised first if the study optimises).
    func point(_ configuration: NodeConfiguration, sweep: SweepSpecification, value: Double) throws -> KeyRatePoint {
        let tuned = optimize ? try optimised(configuration) : configuration
        let rates = try analyticRates(tuned)
        var point = Self.describe(tuned, sweep: sweep, value: value, emulated: false)
        let model = AnalyticLinkModel(configuration: tuned.link)
        point.qberZ = model.qberZ
        point.qberX = model.qberX
        point.blockSeconds = model.siftedZProbability > 0
            ? Double(tuned.postProcessing.blockSize) / model.siftedZProbability / tuned.link.source.repetitionRate : nil
        point.setRates(finite: rates.finite, asymptotic: rates.asymptotic, repetitionRate: tuned.link.source.repetitionRate)
        point.noKeyReason = rates.finite > 0 ? nil : rates.reason
        return point
    }

    /// Finite-key and asymptotic bits per pulse from the analytic model.
    func analyticRates(_ configuration: NodeConfiguration) throws -> (finite: Double, asymptotic: Double, reason: String?) {
        let model = AnalyticLinkModel(configuration: configuration.link)
        let siftedPerPulse = model.siftedZProbability
        guard siftedPerPulse > 0 else { return (0, 0, "no detections") }
        let asymptoticCounts = try KeyRateModel.expectedCounts(model, pulses: Self.asymptoticPulses)
        let asymptoticBound = try KeyRateModel(configuration: configuration, finiteSize: false).secretKey(perIntensity: asymptoticCounts)
        let asymptotic = Double(asymptoticBound.secretBits) / Self.asymptoticPulses
        let blockPulses = Double(configuration.postProcessing.blockSize) / siftedPerPulse
        guard blockPulses <= Self.maximumBlockPulses else {
            return (0, asymptotic, "a block of \(configuration.postProcessing.blockSize) sifted bits would need more than 1e18 pulses")
        }
        let counts = try KeyRateModel.expectedCounts(model, pulses: blockPulses)
        let bound = try KeyRateModel(configuration: configuration, finiteSize: true).secretKey(perIntensity: counts)
        let sent = Double(counts.reduce(UInt64(0)) { $0 + $1.pulses })
        return (Double(bound.secretBits) / sent, asymptotic, bound.reasonForNoKey)
    }

    /// The configuration with Alice's basis probability, and for the laser the intensities and
    /// the signal probability, set to maximise the finite-key rate (the asymptotic rate breaks
    /// ties where the finite-key rate is zero).
    public func optimised(_ configuration: NodeConfiguration) throws -> NodeConfiguration {
        let link = configuration.link
        var start = [link.encoder.zBasisProbability]
        var bounds: [ClosedRange<Double>] = [0.05...0.95]
        var laser: WeakCoherentSource?
        if case .weakCoherent(let source) = link.source {
            laser = source
            let floor = source.intensities.count == 3 ? source.intensities[2] : 0
            let last = source.intensities.count == 3 ? source.intensityProbabilities[2] : 0
            start += [source.intensities[0], (source.intensities[1] - floor) / (source.intensities[0] - floor), source.intensityProbabilities[0]]
            bounds += [max(0.02, floor + 0.01)...1.5, 0.02...0.9, 0.05...(0.95 - last)]
        }
        func apply(_ x: [Double]) throws -> NodeConfiguration {
            var copy = configuration
            var encoder = link.encoder
            encoder.zBasisProbability = x[0]
            var source = link.source
            if let laser {
                var intensities = laser.intensities, probabilities = laser.intensityProbabilities
                let floor = intensities.count == 3 ? intensities[2] : 0
                intensities[0] = x[1]
                intensities[1] = floor + x[2] * (x[1] - floor)
                probabilities[0] = x[3]
                probabilities[1] = 1 - x[3] - (probabilities.count == 3 ? probabilities[2] : 0)
                source = .weakCoherent(try WeakCoherentSource(
                    repetitionRate: laser.repetitionRate, intensities: intensities, intensityProbabilities: probabilities,
                    pulseDuration: laser.pulseDuration))
            }
            copy.link = try LinkConfiguration(
                source: source, encoder: encoder, fiber: link.fiber, decoder: link.decoder, detector: link.detector, tagger: link.tagger)
            return copy
        }
        let best = try ParameterOptimizer(bounds: bounds).maximise(from: start) { x in
            let rates = try analyticRates(try apply(x))
            return (rates.finite, rates.asymptotic)
        }
        return try apply(best)
    }

    /// Emulates one configuration and computes the key of blocks of `blockSize` sifted bits,
    /// each closed at the end of the 10 s frame that fills it (the last one at the end of the run).
    func emulatedPoint(_ configuration: NodeConfiguration, sweep: SweepSpecification, value: Double, durationSeconds: Double, seed: UInt64) throws -> KeyRatePoint {
        let link = configuration.link
        let finite = try KeyRateModel(configuration: configuration, finiteSize: true)
        let asymptotic = try KeyRateModel(configuration: configuration, finiteSize: false)
        var emulator = LinkEmulator(configuration: link, seed: seed)
        let measurement = TimeBinMeasurement(tagger: link.tagger, timeBinSeparation: link.encoder.timeBinSeparation)
        var generator = SeededGenerator(seed: seed, stream: "study-bob")
        let intensities = link.source.intensityCount
        let emptyBlock = [ThreeStateCounts](repeating: .zero, count: intensities)
        var block = emptyBlock, total = emptyBlock
        let totalSlots = UInt64((durationSeconds * link.source.repetitionRate).rounded())
        let frameSlots = max(1, UInt64(10 * link.source.repetitionRate))
        var secretBits = 0
        var reason: String?
        func closeBlock() throws {
            let bound = try finite.secretKey(perIntensity: block)
            secretBits += bound.secretBits
            if bound.secretBits == 0 { reason = bound.reasonForNoKey }
            block = emptyBlock
        }
        while emulator.slotsEmulated < totalSlots {
            let frame = emulator.emulate(slotCount: min(frameSlots, totalSlots - emulator.slotsEmulated))
            var frameCounts = Self.tally(frame, measurement: measurement, intensities: intensities, generator: &generator)
            for intensity in 0..<intensities {
                frameCounts[intensity].pulses = UInt64((Double(frame.slotCount) * link.source.intensityProbability(intensity)).rounded())
                block[intensity] = block[intensity] + frameCounts[intensity]
                total[intensity] = total[intensity] + frameCounts[intensity]
            }
            if block.reduce(0, { $0 + $1.siftedZ }) >= UInt64(configuration.postProcessing.blockSize) { try closeBlock() }
        }
        if block.contains(where: { $0.siftedZ > 0 }) { try closeBlock() }
        let pulses = Double(totalSlots)
        let all = total.reduce(ThreeStateCounts.zero, +)
        var point = Self.describe(configuration, sweep: sweep, value: value, emulated: true)
        point.qberZ = all.qberZ
        point.qberX = all.qberX
        point.blockSeconds = all.siftedZ > 0 ? Double(configuration.postProcessing.blockSize) / Double(all.siftedZ) * durationSeconds : nil
        let asymptoticBits = all.siftedZ > 0 ? Double(try asymptotic.secretKey(perIntensity: total).secretBits) : 0
        point.setRates(finite: Double(secretBits) / pulses, asymptotic: asymptoticBits / pulses, repetitionRate: link.source.repetitionRate)
        point.noKeyReason = secretBits > 0 ? nil : reason ?? "no sifted bits"
        return point
    }

    /// Counts of one frame per (intensity, state, result), with Bob's decision rule.
    static func tally(_ frame: EmulatedFrame, measurement: TimeBinMeasurement, intensities: Int, generator: inout SeededGenerator) -> [ThreeStateCounts] {
        var counts = [ThreeStateCounts](repeating: .zero, count: intensities)
        var aliceIndex = 0
        var start = 0
        while start < frame.bob.count {
            let slot = frame.bob[start].slot
            var end = start + 1
            while end < frame.bob.count, frame.bob[end].slot == slot { end += 1 }
            while aliceIndex < frame.alice.count, frame.alice[aliceIndex].slot < slot { aliceIndex += 1 }
            if let result = measurement.measure(frame.bob[start..<end], using: &generator), aliceIndex < frame.alice.count {
                let record = frame.alice[aliceIndex]
                counts[Int(record.intensity)].counts[Int(record.state.rawValue)][LinkOutcome(result).rawValue] += 1
            }
            start = end
        }
        return counts
    }

    /// A point with the configuration's descriptive fields filled and its results zero.
    static func describe(_ configuration: NodeConfiguration, sweep: SweepSpecification, value: Double, emulated: Bool) -> KeyRatePoint {
        let link = configuration.link
        let source = link.source
        let lossDb = link.fiber.lossDb
        var kind = "quantum-dot"
        if case .weakCoherent = source { kind = "laser" }
        return KeyRatePoint(
            series: configuration.name, source: kind, sweepParameter: sweep.parameter.rawValue, sweepValue: value,
            distanceKm: link.fiber.lengthKm, lossDb: lossDb, qberZ: 0, qberX: 0,
            secretBitsPerPulse: 0, secretKeyRate: 0, asymptoticBitsPerPulse: 0, asymptoticKeyRate: 0,
            repeaterlessBoundBitsPerPulse: RepeaterlessBound.bitsPerChannelUse(lossDb: lossDb),
            blockSize: configuration.postProcessing.blockSize, blockSeconds: nil,
            zBasisProbability: link.encoder.zBasisProbability,
            intensities: (0..<source.intensityCount).map { source.meanPhotonNumber(intensity: $0) },
            intensityProbabilities: (0..<source.intensityCount).map { source.intensityProbability($0) },
            emulated: emulated, noKeyReason: nil)
    }
}
