/// One parity Bob asks Alice for: the bits `start..<end` of pass `pass`'s permuted key.
public struct CascadeParityQuery: Sendable, Hashable {
    /// The pass whose permuted order the range refers to (0 is the identity order).
    public let pass: Int
    /// The first permuted position in the range.
    public let start: Int
    /// One past the last permuted position in the range.
    public let end: Int

    /// Creates a query for the half-open range `start..<end` of pass `pass`.
    public init(pass: Int, start: Int, end: Int) {
        self.pass = pass
        self.start = start
        self.end = end
    }

    /// The queried positions as a range; callers must have checked `start <= end`.
    public var range: Range<Int> { start..<end }
}
