import QKDCore

/// Alice's side of LDPC reconciliation for one frame: she sends the syndrome of her code word
/// and reveals symbols when Bob asks (see `LDPCMessage`). Her key is never changed.
public struct LDPCAlice {
    /// Where Alice's frame stands.
    public enum Status: Sendable, Hashable {
        /// Waiting for Bob.
        case inProgress
        /// Bob met the syndrome.
        case accepted
        /// Bob gave up: the frame is discarded.
        case failed
    }

    /// The frame plan.
    public let plan: LDPCFramePlan
    private let layout: LDPCFrameLayout
    private let frame: [UInt8]
    private let syndrome: BitVector
    /// Bits disclosed about the key so far: `M − p₀` for the syndrome plus one per revealed
    /// punctured value (see `LDPCFrameLayout`).
    public private(set) var disclosedBits: Int
    /// The number of symbols (punctured values, then key bits) revealed so far.
    public private(set) var revealedBits: Int
    /// Where the frame stands.
    public private(set) var status: Status = .inProgress

    /// Prepares the frame: `key` at the key positions, fresh bits from `randomness` at the
    /// punctured positions (they must be secret and uniform: use a cryptographic generator
    /// outside simulations), zeros at the shortened ones. Throws `QKDError.invalidParameter` if
    /// the key length differs from the plan's block size.
    public init<G: RandomNumberGenerator>(key: BitVector, plan: LDPCFramePlan, cache: LDPCCodeCache = .shared, randomness: inout G) throws {
        guard key.count == plan.blockSize else {
            throw QKDError(.invalidParameter, "LDPC key has \(key.count) bits but the plan's block size is \(plan.blockSize)")
        }
        let code = try cache.code(plan.code)
        layout = try LDPCFrameLayout(code: code, plan: plan)
        var frame = [UInt8](repeating: 0, count: code.variableCount)
        for (index, position) in layout.keyPositions.enumerated() where key[index] { frame[Int(position)] = 1 }
        var randomWord: UInt64 = 0
        for index in 0..<plan.initialPuncturedCount {
            if index & 63 == 0 { randomWord = randomness.next() }
            frame[Int(layout.adaptingPositions[index])] = UInt8(truncatingIfNeeded: randomWord >> UInt64(index & 63)) & 1
        }
        self.plan = plan
        self.frame = frame
        syndrome = BitVector(bits: code.syndrome(ofFrame: frame).map { $0 == 1 })
        disclosedBits = code.checkCount - plan.initialPuncturedCount
        revealedBits = 0
    }

    /// The first message: the plan and the syndrome.
    public var syndromeMessage: LDPCMessage { .syndrome(plan: plan, syndrome: syndrome) }

    /// Handles Bob's reply: returns the `reveal` answering a `revealRequest`, or nil once Bob
    /// has accepted or failed. Throws `QKDError.protocolFailure` for a message out of turn or a
    /// request that does not continue the reveal order or goes past its end.
    public mutating func receive(_ message: LDPCMessage) throws -> LDPCMessage? {
        guard status == .inProgress else {
            throw QKDError(.protocolFailure, "LDPC Alice got a message after the frame ended")
        }
        switch message {
        case .accepted:
            status = .accepted
            return nil
        case .failed:
            status = .failed
            return nil
        case let .revealRequest(from, count):
            guard from == revealedBits, count >= 1, count <= plan.maximumRevealCount - revealedBits else {
                throw QKDError(.protocolFailure, "LDPC reveal request for \(count) symbols from \(from) does not follow the \(revealedBits) of at most \(plan.maximumRevealCount) revealed")
            }
            let positions = layout.revealOrder[from..<(from + count)]
            let values = BitVector(bits: positions.map { frame[Int($0)] == 1 })
            revealedBits += count
            disclosedBits += count
            return .reveal(values: values)
        case .syndrome, .reveal:
            throw QKDError(.protocolFailure, "LDPC Alice got a message only Alice sends")
        }
    }
}
