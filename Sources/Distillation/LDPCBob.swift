import QKDCore

/// Bob's side of LDPC reconciliation for one frame: he decodes his noisy key against Alice's
/// syndrome and asks for more revealed symbols until decoding meets the syndrome or the plan's
/// reveal budget is spent (see `LDPCMessage`).
///
/// Success means the hard decision meets every check of Alice's syndrome; it can still differ
/// from Alice's key (an undetected error), which the verification hash that follows must catch.
public struct LDPCBob {
    private let key: BitVector
    private let cache: LDPCCodeCache
    private let maximumIterations: Int
    private let blindRoundIterations: Int
    private let stallIterations: Int
    private var plan: LDPCFramePlan?
    private var layout: LDPCFrameLayout?
    private var decoder: LDPCDecoder?
    private var syndrome: [UInt8] = []
    private var channelLLR: [Float] = []
    private var revealedCount = 0
    private var pendingRevealCount = 0
    /// Bob's corrected key once decoding met the syndrome.
    public private(set) var correctedKey: BitVector?
    /// Whether the frame is over (accepted or failed).
    public private(set) var isFinished = false
    /// Bits disclosed about the key so far (`M − p₀` plus the revealed values).
    public private(set) var disclosedBits = 0
    /// Round trips so far: the syndrome exchange plus one per blind round.
    public private(set) var roundTrips = 0
    /// Belief-propagation iterations run so far, over all decoding attempts.
    public private(set) var iterations = 0

    /// The log-likelihood ratio given to a shortened or revealed symbol (certain).
    static let knownSymbolLLR: Float = 50

    /// Creates Bob's side for his noisy `key`. The first decoding attempt runs up to
    /// `maximumIterations` iterations; each attempt after a blind round resumes from the previous
    /// attempt's messages and runs up to `blindRoundIterations` more; an attempt gives up early
    /// once `stallIterations` iterations in a row (0: never) brought no new low in the number of
    /// unmet checks (see `LDPCRateAdaptation.stallIterations`).
    public init(key: BitVector, maximumIterations: Int = 100, blindRoundIterations: Int = 100, stallIterations: Int = 30, cache: LDPCCodeCache = .shared) {
        self.key = key
        self.maximumIterations = maximumIterations
        self.blindRoundIterations = blindRoundIterations
        self.stallIterations = stallIterations
        self.cache = cache
    }

    /// Handles Alice's message and returns Bob's reply (`accepted`, `revealRequest` or `failed`).
    /// Throws `QKDError.invalidParameter` if the plan's block size differs from Bob's key or the
    /// syndrome has the wrong length, `QKDError.protocolFailure` for a message out of turn or a
    /// reveal of the wrong size.
    public mutating func receive(_ message: LDPCMessage) throws -> LDPCMessage {
        guard !isFinished else {
            throw QKDError(.protocolFailure, "LDPC Bob got a message after the frame ended")
        }
        switch message {
        case let .syndrome(plan, syndrome):
            guard self.plan == nil else {
                throw QKDError(.protocolFailure, "LDPC Bob got a second syndrome for the frame")
            }
            try start(plan: plan, syndrome: syndrome)
        case let .reveal(values):
            guard let layout, pendingRevealCount > 0 else {
                throw QKDError(.protocolFailure, "LDPC Bob got revealed values he did not ask for")
            }
            guard values.count == pendingRevealCount else {
                throw QKDError(.protocolFailure, "LDPC reveal has \(values.count) values but \(pendingRevealCount) were asked for")
            }
            for index in 0..<values.count {
                let position = Int(layout.revealOrder[revealedCount + index])
                channelLLR[position] = values[index] ? -Self.knownSymbolLLR : Self.knownSymbolLLR
            }
            revealedCount += values.count
            disclosedBits += values.count
            pendingRevealCount = 0
        case .revealRequest, .accepted, .failed:
            throw QKDError(.protocolFailure, "LDPC Bob got a message only Bob sends")
        }
        return attempt()
    }

    private mutating func start(plan: LDPCFramePlan, syndrome: BitVector) throws {
        guard plan.blockSize == key.count else {
            throw QKDError(.invalidParameter, "LDPC plan's block size \(plan.blockSize) differs from Bob's key length \(key.count)")
        }
        let code = try cache.code(plan.code)
        guard syndrome.count == code.checkCount else {
            throw QKDError(.invalidParameter, "LDPC syndrome has \(syndrome.count) bits but the code has \(code.checkCount) checks")
        }
        let layout = try LDPCFrameLayout(code: code, plan: plan)
        let channel = Float(QKDMath.naturalLog((1 - plan.qber) / plan.qber))
        var llr = [Float](repeating: Self.knownSymbolLLR, count: code.variableCount)
        for (index, position) in layout.keyPositions.enumerated() { llr[Int(position)] = key[index] ? -channel : channel }
        for index in 0..<plan.initialPuncturedCount { llr[Int(layout.adaptingPositions[index])] = 0 }
        self.plan = plan
        self.layout = layout
        self.syndrome = (0..<syndrome.count).map { syndrome[$0] ? 1 : 0 }
        channelLLR = llr
        decoder = LDPCDecoder(code: code)
        revealedCount = 0
        disclosedBits = code.checkCount - plan.initialPuncturedCount
    }

    private mutating func attempt() -> LDPCMessage {
        guard let plan, let layout, let decoder else { preconditionFailure("LDPC Bob attempts before the syndrome") }
        roundTrips += 1
        let resume = roundTrips > 1
        let result = decoder.decode(channelLLR: channelLLR, syndrome: syndrome, maximumIterations: resume ? blindRoundIterations : maximumIterations, stallIterations: stallIterations, resume: resume)
        iterations += result.iterations
        if result.satisfied {
            let hard = decoder.hardDecision
            correctedKey = BitVector(bits: layout.keyPositions.map { hard[Int($0)] == 1 })
            isFinished = true
            return .accepted
        }
        if revealedCount == plan.maximumRevealCount {
            isFinished = true
            return .failed
        }
        pendingRevealCount = min(plan.revealStep, plan.maximumRevealCount - revealedCount)
        return .revealRequest(from: revealedCount, count: pendingRevealCount)
    }
}
