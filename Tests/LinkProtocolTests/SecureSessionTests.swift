import LinkProtocol
import QKDCore
import Testing

/// Two ends of an authenticated session over the same pool, hellos exchanged.
private func connectedPair() throws -> (alice: SecureSession, bob: SecureSession) {
    var generator = SeededGenerator(seed: 7)
    let bootstrap = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let alice = SecureSession(sendDirection: .aliceToBob, pool: try AuthenticationKeyPool(bootstrap: bootstrap), firstSendCounter: 0,
                              minimumPeerCounter: 0, ownSegments: 1, persistSendReservation: { _ in })
    let bob = SecureSession(sendDirection: .bobToAlice, pool: try AuthenticationKeyPool(bootstrap: bootstrap), firstSendCounter: 0,
                            minimumPeerCounter: 0, ownSegments: 1, persistSendReservation: { _ in })
    _ = try bob.open(try alice.seal(.hello, payload: [1]))
    _ = try alice.open(try bob.seal(.hello, payload: [2]))
    alice.bind(aliceNonce: 1, bobNonce: 2)
    bob.bind(aliceNonce: 1, bobNonce: 2)
    return (alice, bob)
}

@Suite struct SecureSessionTests {
    @Test func authenticFramesOpenInOrder() throws {
        let (alice, bob) = try connectedPair()
        for payload in [[UInt8](), [1, 2, 3], Array(repeating: 9, count: 1000)] {
            let opened = try bob.open(try alice.seal(.messages, payload: payload))
            #expect(opened.kind == .messages && opened.payload == payload)
        }
    }

    @Test func everyFlippedBitIsDetected() throws {
        let (alice, bob) = try connectedPair()
        let frame = try alice.seal(.messages, payload: Array(0..<40))
        for bit in stride(from: 0, to: frame.count * 8, by: 3) {
            var tampered = frame
            tampered[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(throws: QKDError.self) { try bob.open(tampered) }
        }
        #expect(try bob.open(frame).payload == Array(0..<40))
    }

    @Test func replayedDroppedAndReorderedFramesAreRefused() throws {
        let (alice, bob) = try connectedPair()
        let first = try alice.seal(.messages, payload: [1]), second = try alice.seal(.messages, payload: [2])
        let third = try alice.seal(.messages, payload: [3])
        #expect(throws: QKDError.self) { try bob.open(second) }
        _ = try bob.open(first)
        #expect(throws: QKDError.self) { try bob.open(first) }
        #expect(throws: QKDError.self) { try bob.open(third) }
        #expect(try bob.open(second).payload == [2])
    }

    @Test func aFrameOfAnotherSessionFailsAuthentication() throws {
        let (alice, bob) = try connectedPair()
        let frame = try alice.seal(.messages, payload: [5])
        bob.bind(aliceNonce: 1, bobNonce: 3)
        #expect(throws: QKDError.self) { try bob.open(frame) }
    }

    @Test func anExhaustedPoolStopsSendingInsteadOfReusingKey() throws {
        let pool = try AuthenticationKeyPool(bootstrap: Array(repeating: 1, count: 8 + 32))
        let session = SecureSession(sendDirection: .aliceToBob, pool: pool, firstSendCounter: 0, minimumPeerCounter: 0, ownSegments: 1,
                                    persistSendReservation: { _ in })
        _ = try session.seal(.hello, payload: [])
        _ = try session.seal(.messages, payload: [])
        let error = #expect(throws: QKDError.self) { try session.seal(.messages, payload: []) }
        // `unavailable`, not a protocol failure: the node stops instead of restarting the session.
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("rather than reuse key") == true)
        #expect(session.nextSendCounter == 2)
    }
}
