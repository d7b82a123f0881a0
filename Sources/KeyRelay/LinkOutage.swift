/// A span of network time during which a link is out of service (a cut fibre, a failed device):
/// it distils no key and carries no relay, and relays route around it.
///
/// In a network file: `{"link": "n2-n3", "down_at_s": 1200, "up_at_s": 2400}`; without
/// `up_at_s` the link stays down to the end of the run.
public struct LinkOutage: Codable, Equatable, Sendable {
    /// The link's ID.
    public let link: String
    /// When the link goes down, in seconds from the start of the run.
    public let downAtSeconds: Double
    /// When it comes back up, in seconds from the start of the run, or nil if it stays down.
    public let upAtSeconds: Double?

    /// Creates an outage of `link` from `downAtSeconds` to `upAtSeconds` (nil: to the end).
    public init(link: String, downAtSeconds: Double, upAtSeconds: Double? = nil) {
        self.link = link
        self.downAtSeconds = downAtSeconds
        self.upAtSeconds = upAtSeconds
    }

    /// Whether the link is down at time `seconds`: from `downAtSeconds` included to
    /// `upAtSeconds` excluded.
    public func isDown(at seconds: Double) -> Bool {
        seconds >= downAtSeconds && seconds < (upAtSeconds ?? .infinity)
    }

    /// Whether this outage and `other` take the same link down at some common time.
    public func overlaps(_ other: LinkOutage) -> Bool {
        link == other.link && downAtSeconds < (other.upAtSeconds ?? .infinity) && other.downAtSeconds < (upAtSeconds ?? .infinity)
    }

    enum CodingKeys: String, CodingKey {
        case link
        case downAtSeconds = "down_at_s"
        case upAtSeconds = "up_at_s"
    }
}
