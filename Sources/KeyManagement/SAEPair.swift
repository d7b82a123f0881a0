/// A master and a slave Secure Application Entity (SAE) that share keys through their KMEs
/// (ETSI GS QKD 014): the master asks for new keys, the slave then asks for the same keys by ID.
public struct SAEPair: Hashable, Sendable, CustomStringConvertible {
    /// The SAE that asks for new keys (`enc_keys`).
    public let master: String
    /// The SAE that asks for the master's keys by their IDs (`dec_keys`).
    public let slave: String

    /// Creates a pair from the two SAE IDs.
    public init(master: String, slave: String) {
        self.master = master
        self.slave = slave
    }

    /// "master -> slave".
    public var description: String { "\(master) -> \(slave)" }
}
