import QKDCore

/// A message of the Cascade reconciliation protocol. Transport and encoding are up to the caller.
///
/// Bob drives the protocol: every round he sends one `parityRequest` batching all the parities
/// he needs next (all top-level blocks of a new pass, or the next binary-search half of every
/// block being searched), and Alice answers with one `parityResponse`.
public enum CascadeMessage: Sendable, Hashable {
    /// Bob to Alice: the parities of `queries`, in order. `keyLength` is Bob's key length, so
    /// that Alice can refuse to reconcile keys of different lengths.
    case parityRequest(keyLength: Int, queries: [CascadeParityQuery])
    /// Alice to Bob: one parity bit per query of the request, in the same order.
    case parityResponse(parities: BitVector)
}
