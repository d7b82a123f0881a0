import QKDCore

/// A disturbance injected into an unattended run at a given link time, to exercise the node's
/// alarms: the link must pause key output during it and resume on its own afterwards.
public struct InjectedFault: Sendable, Equatable, Codable {
    /// What goes wrong.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The fibre is cut (or a connector pulled): no photon reaches Bob.
        case fibreCut = "fibre-cut"
        /// Stray light reaches the detectors (a door opened on a patch panel, an unshielded
        /// connector): `strayLightRate` extra clicks per second per detector.
        case strayLight = "stray-light"
        /// One of Bob's detectors latches (a superconducting nanowire driven normal by a burst of
        /// light or a bias glitch stays resistive until its bias is reset) and gives no click:
        /// detector 1, whose silence would hide the X-basis errors.
        case detectorLatch = "detector-latch"
        /// The laboratory warms (its air conditioning fails): the room-temperature fibre ahead of
        /// Bob's cryostat sends more black-body photons into the detectors, whose dark counts
        /// rise by `roomWarmingDarkCountFactor`. Not a fault the alarm must catch: the key of
        /// those frames stays secure (their errors count in the finite-key analysis), only
        /// thinner; Bob's gate-width controller narrows his windows.
        case roomWarming = "room-warming"
    }

    /// Background clicks per detector during a stray-light burst (Hz): room light leaking into
    /// a fibre patch saturates nothing but swamps the ~1 kHz signal of the 120 km link.
    public static let strayLightRate = 1e5

    /// Factor on the dark counts while the room is warm: 4 K warmer at about 10 % per kelvin
    /// (the black-body photon flux into the fibre near 1.5-2 µm, see `LinkDrift.darkCountWander`).
    public static let roomWarmingDarkCountFactor = 1.4

    /// What goes wrong.
    public var kind: Kind
    /// Link time at which it starts (s).
    public var startSeconds: Double
    /// How long it lasts (s).
    public var durationSeconds: Double

    /// Creates a fault; start and duration must be non-negative and finite.
    public init(kind: Kind, startSeconds: Double, durationSeconds: Double) throws {
        guard startSeconds >= 0, startSeconds.isFinite, durationSeconds > 0, durationSeconds.isFinite else {
            throw QKDError(.invalidParameter, "a fault needs a non-negative start and a positive duration, got \(startSeconds) s and \(durationSeconds) s")
        }
        self.kind = kind
        self.startSeconds = startSeconds
        self.durationSeconds = durationSeconds
    }

    /// Link time at which it ends (s).
    public var endSeconds: Double { startSeconds + durationSeconds }

    /// `conditions` while the fault is on.
    public func applied(to conditions: LinkConditions) -> LinkConditions {
        var faulty = conditions
        switch kind {
        case .fibreCut: faulty.channelTransmittanceFactor = 0
        case .strayLight: faulty.backgroundRate += Self.strayLightRate
        case .detectorLatch: faulty.latchedDetector = 1
        case .roomWarming: faulty.darkCountRateFactor *= Self.roomWarmingDarkCountFactor
        }
        return faulty
    }
}
