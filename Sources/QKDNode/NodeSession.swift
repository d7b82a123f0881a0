import KeyManagement
import LinkProtocol

/// One connection's protocol state: the authenticated framing, the two hellos, and once both are
/// in, the endpoint distilling blocks. A new connection gets a new session; blocks in flight of
/// an ended session are discarded (Alice's pending ones are settled at the next handshake).
final class NodeSession {
    let connectionID: Int
    let secure: SecureSession
    let pool: AuthenticationKeyPool
    /// This node's hello, once sent.
    var ownHello: SessionHello?
    let transport = CoalescingTransport()
    var peerHello: SessionHello?
    var alice: AliceEndpoint?
    var bob: BobEndpoint?
    /// Alice: Bob's messages waiting for her device to deliver the frames they announce.
    var aliceInbox: [LinkMessage] = []
    /// Alice: the slot after the last frame ingested.
    var aliceIngestedEnd: UInt64 = 0
    var startSlot: UInt64 = 0
    var sentEnd = false
    var peerEnded = false
    var lastFlush: ContinuousClock.Instant?
    var bitsConsumedAtLastBlock = 0
    /// This node's send counter at its last committed block (pads it sent since then).
    var sendCounterAtLastBlock: UInt64 = 0

    init(connectionID: Int, secure: SecureSession, pool: AuthenticationKeyPool) {
        self.connectionID = connectionID
        self.secure = secure
        self.pool = pool
    }

    /// Alice: whether Bob's next message announces slots beyond the frames she has ingested.
    var aliceAwaitsFrame: Bool {
        guard case .siftingAnnouncement(let announcement)? = aliceInbox.first else { return false }
        return announcement.firstSlot + announcement.slotCount > aliceIngestedEnd
    }

    var isEstablished: Bool { alice != nil || bob != nil }

    var isSettled: Bool { (alice?.isSettled ?? true) && (bob?.isSettled ?? true) && aliceInbox.isEmpty }
}
