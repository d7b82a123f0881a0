import Foundation

/// One hop of a key relay between KMEs (`POST /api/v1/peer/relay/forward`, KME to neighbour
/// KME over mutual TLS, not part of ETSI 014): keys encrypted with a one-time pad taken from the
/// link's pool, the route they travel and the pair they are for.
///
/// ```json
/// {"master_SAE_ID": "SAE_A", "slave_SAE_ID": "SAE_C", "size": 256,
///  "route": ["A", "B", "C"], "links": ["A-B", "B-C"], "hop": 0,
///  "hybrid_public_key": "Base64 ML-KEM-768 encapsulation key (optional)",
///  "keys": [{"key_ID": "UUID", "pad_key_IDs": ["UUID", ...], "ciphertext": "Base64"}]}
/// ```
///
/// `hop` is the index in `links` of the link the message travels on; `pad_key_IDs` are the
/// stored keys of that link whose first `size` bits, XOR the key, give `ciphertext`.
public struct RelayForwardRequest: Codable, Equatable, Sendable {
    /// One relayed key on one hop.
    public struct Key: Codable, Equatable, Sendable {
        /// The relayed key's ID, the same at both end KMEs.
        public let key_ID: UUID
        /// The stored keys of the hop's link used as pad, in order (the first names the pad).
        public let pad_key_IDs: [UUID]
        /// The key XOR the pad, Base64.
        public let ciphertext: String
    }

    /// The master SAE, attached to the route's first node.
    public let master_SAE_ID: String
    /// The slave SAE, attached to the route's last node.
    public let slave_SAE_ID: String
    /// Further slaves at the last node that get the same keys (optional).
    public let additional_slave_SAE_IDs: [String]?
    /// The size of each key, in bits.
    public let size: Int
    /// The nodes of the route, source first.
    public let route: [String]
    /// The links of the route, one fewer than the nodes.
    public let links: [String]
    /// The index in `links` of the link this message travels on.
    public let hop: Int
    /// The source KME's ephemeral ML-KEM-768 encapsulation key (Base64) when the keys are to be
    /// hybrid keys; nil for plain keys.
    public let hybrid_public_key: String?
    /// The keys, encrypted for this hop.
    public let keys: [Key]

    /// Creates a request.
    public init(
        master: String, slave: String, additionalSlaves: [String], size: Int, route: [String], links: [String],
        hop: Int, hybridPublicKey: String?, keys: [Key]
    ) {
        master_SAE_ID = master
        slave_SAE_ID = slave
        additional_slave_SAE_IDs = additionalSlaves.isEmpty ? nil : additionalSlaves
        self.size = size
        self.route = route
        self.links = links
        self.hop = hop
        hybrid_public_key = hybridPublicKey
        self.keys = keys
    }

    /// The same request for the next hop, carrying `keys`.
    public func forwarded(keys: [Key]) -> RelayForwardRequest {
        RelayForwardRequest(
            master: master_SAE_ID, slave: slave_SAE_ID, additionalSlaves: additional_slave_SAE_IDs ?? [], size: size,
            route: route, links: links, hop: hop + 1, hybridPublicKey: hybrid_public_key, keys: keys)
    }

    /// Parses a request; 400 ``ETSIError`` if `body` is not one or its route is inconsistent.
    public init(body: Data) throws(ETSIError) {
        let request: RelayForwardRequest
        do {
            request = try JSONDecoder().decode(RelayForwardRequest.self, from: body)
        } catch {
            throw .badRequest("the request body is not a relay forward request")
        }
        guard request.route.count == request.links.count + 1, request.links.indices.contains(request.hop), !request.keys.isEmpty else {
            throw .badRequest("the relay forward request has an inconsistent route, hop or key list")
        }
        self = request
    }
}

/// The answer to a ``RelayForwardRequest``, passed back along the route once the last KME has
/// stored the keys: for hybrid keys, the ML-KEM-768 ciphertext of each key (Base64, in order).
public struct RelayForwardAnswer: Codable, Equatable, Sendable {
    /// The ciphertexts the last KME encapsulated to the source's key, nil for plain keys.
    public let hybrid_ciphertexts: [String]?
}
