import Crypto
import Foundation
import KeyManagement
import QKDCore

/// Hybrid keys: the key handed to an SAE derived from both a QKD key and an ML-KEM-768 shared
/// secret that the two KMEs of the link exchange, so that it stays secret if either input does.
///
/// The master's KME sends an ephemeral ML-KEM-768 public key to the slave's KME (along the relay
/// route, or over the peer channel of a direct link); the slave's KME encapsulates a fresh secret
/// to it with ``encapsulate(qkdKey:peerPublicKey:)`` (or ``encapsulation(to:)`` and
/// ``derive(qkdKey:sharedSecret:ciphertext:)``) and sends back the ciphertext; the master's KME
/// decapsulates it with ``decapsulate(qkdKey:ciphertext:privateKey:)``. Both then hold the same
/// hybrid key, of the QKD key's length and under the QKD key's ID.
///
/// The combiner is the dual-PRF combiner of Bindel, Brendel, Fischlin, Goncalves and Stebila,
/// "Hybrid Key Encapsulation Mechanisms and Authenticated Key Exchange", PQCrypto 2019 (LNCS
/// 11505), the construction that Dowling, Hansen and Paterson, "Many a Mickle Makes a Muckle: A
/// Framework for Provably Quantum-Secure Hybrid Key Exchange", PQCrypto 2020 (LNCS 12100), use to
/// join a QKD key and a post-quantum KEM secret, written with HKDF-SHA-256 (RFC 5869):
///
/// ```
/// PRK = HKDF-Extract(salt = K_QKD, IKM = ss ‖ SHA3-256(ct) ‖ keyID ‖ label)     (HMAC-SHA-256 keyed by K_QKD)
/// K   = HKDF-Expand(PRK, info = label ‖ keyID ‖ uint32(|K_QKD|), |K_QKD|)
/// ```
///
/// where `ss` is the ML-KEM-768 shared secret (FIPS 203), `ct` its ciphertext, `keyID` the QKD
/// key's 16-byte UUID and `label` ``label``. As in the "concatenate" combiner (CatKDF) of ETSI TS
/// 103 744 V1.2.1 (2025-03), the exchanged message (`ct`) and the key's context (`keyID`) are
/// bound into the derivation, so a ciphertext or key ID swapped by an attacker gives another key.
///
/// Security argument and its assumptions: HMAC-SHA-256 is a PRF keyed by its key, so `PRK` is
/// pseudorandom whenever `K_QKD` is uniform and secret (as a distilled QKD key is), even if
/// ML-KEM is broken; it is a PRF keyed by its message input too (the *dual-PRF* assumption on
/// HMAC, validated by Bellare and Lysyanskaya, "Symmetric and Dual PRFs from Standard
/// Assumptions: A Generic Validation of an HMAC Assumption", IACR ePrint 2015/1198), so `PRK` is
/// pseudorandom whenever `ss` is secret, even if the QKD key leaked. HKDF-Expand then is a PRF
/// keyed by `PRK`. The hybrid key is therefore only *computationally* secure, at most 256 bits
/// (the length of `PRK`) whatever its length: unlike the QKD key it replaces, it is not
/// information-theoretically secure.
public enum HybridKeyDerivation {
    /// The length of an ML-KEM-768 shared secret, in bytes (FIPS 203, section 8).
    public static let sharedSecretByteCount = 32
    /// The length of an ML-KEM-768 ciphertext, in bytes (FIPS 203, table 3).
    public static let ciphertextByteCount = 1088
    /// The shortest QKD key accepted, in bytes (128 bits): a shorter key would be the weaker input.
    public static let minimumKeyByteCount = 16
    /// The longest QKD key accepted, in bytes: HKDF-Expand gives at most 255 hash outputs (RFC 5869).
    public static let maximumKeyByteCount = 255 * SHA256.Digest.byteCount
    /// The domain-separation label of the derivation, version included.
    public static let label = Array("QKDKit hybrid key v1: QKD key + ML-KEM-768, HKDF-SHA-256".utf8)

    /// The encapsulating KME's half: encapsulates a fresh ML-KEM-768 secret to `peerPublicKey`
    /// and derives the hybrid key from it and `qkdKey`. Send `ciphertext` to the peer KME.
    ///
    /// Throws `QKDError` `.invalidParameter` if `qkdKey` is shorter than
    /// ``minimumKeyByteCount`` or longer than ``maximumKeyByteCount``, `.protocolFailure` if
    /// the encapsulation fails.
    public static func encapsulate(
        qkdKey: DeliveredKey, peerPublicKey: MLKEM768.PublicKey
    ) throws -> (key: DeliveredKey, ciphertext: [UInt8]) {
        try validate(qkdKey: qkdKey)
        let (sharedSecret, ciphertext) = try encapsulation(to: peerPublicKey)
        let key = try derive(qkdKey: qkdKey, sharedSecret: sharedSecret, ciphertext: ciphertext)
        return (key, ciphertext)
    }

    /// A fresh ML-KEM-768 shared secret encapsulated to `peerPublicKey` and its ciphertext, for
    /// an encapsulating KME that derives the hybrid key later with ``derive(qkdKey:sharedSecret:ciphertext:)``
    /// (the KME at the slave's end of a direct link derives it where it records the key). Send
    /// `ciphertext` to the peer KME. Throws `QKDError` `.protocolFailure` if the encapsulation fails.
    public static func encapsulation(to peerPublicKey: MLKEM768.PublicKey) throws -> (sharedSecret: [UInt8], ciphertext: [UInt8]) {
        let encapsulation: KEM.EncapsulationResult
        do {
            encapsulation = try peerPublicKey.encapsulate()
        } catch {
            throw QKDError(.protocolFailure, "ML-KEM-768 encapsulation failed (\(error))")
        }
        return (bytes(of: encapsulation.sharedSecret), [UInt8](encapsulation.encapsulated))
    }

    /// The decapsulating KME's half: recovers the ML-KEM-768 secret of `ciphertext` with
    /// `privateKey` and derives the hybrid key from it and `qkdKey`.
    ///
    /// Throws `QKDError` `.invalidParameter` if `ciphertext` is not ``ciphertextByteCount``
    /// bytes or `qkdKey` has a length outside ``minimumKeyByteCount``...``maximumKeyByteCount``,
    /// `.protocolFailure` if the decapsulation fails. (A ciphertext of the right length that was
    /// altered decapsulates to an unrelated secret, by ML-KEM's implicit rejection, and so gives
    /// a key that differs from the peer's.)
    public static func decapsulate(
        qkdKey: DeliveredKey, ciphertext: [UInt8], privateKey: MLKEM768.PrivateKey
    ) throws -> DeliveredKey {
        try validate(qkdKey: qkdKey)
        try validate(ciphertext: ciphertext)
        let sharedSecret: SymmetricKey
        do {
            sharedSecret = try privateKey.decapsulate(ciphertext)
        } catch {
            throw QKDError(.protocolFailure, "ML-KEM-768 decapsulation for key \(qkdKey.id) failed (\(error))")
        }
        return try derive(qkdKey: qkdKey, sharedSecret: bytes(of: sharedSecret), ciphertext: ciphertext)
    }

    /// The combiner itself (see the type's documentation): the hybrid key of `qkdKey` and the
    /// ML-KEM-768 `sharedSecret` carried by `ciphertext`, with `qkdKey`'s ID and length.
    ///
    /// Throws `QKDError` `.invalidParameter` naming the input whose length is wrong.
    public static func derive(qkdKey: DeliveredKey, sharedSecret: [UInt8], ciphertext: [UInt8]) throws -> DeliveredKey {
        try validate(qkdKey: qkdKey)
        try validate(ciphertext: ciphertext)
        guard sharedSecret.count == sharedSecretByteCount else {
            throw QKDError(
                .invalidParameter,
                "the ML-KEM-768 shared secret is \(sharedSecret.count) bytes, expected \(sharedSecretByteCount)"
            )
        }
        let keyID = withUnsafeBytes(of: qkdKey.id.uuid) { [UInt8]($0) }
        let extractInput = sharedSecret + Array(SHA3_256.hash(data: ciphertext)) + keyID + label
        let pseudorandomKey = HKDF<SHA256>.extract(
            inputKeyMaterial: SymmetricKey(data: extractInput), salt: qkdKey.bytes
        )
        var length = UInt32(qkdKey.bytes.count).bigEndian
        let info = label + keyID + withUnsafeBytes(of: &length) { [UInt8]($0) }
        let output = HKDF<SHA256>.expand(pseudoRandomKey: pseudorandomKey, info: info, outputByteCount: qkdKey.bytes.count)
        return DeliveredKey(id: qkdKey.id, bytes: bytes(of: output))
    }

    private static func validate(qkdKey: DeliveredKey) throws {
        guard (minimumKeyByteCount...maximumKeyByteCount).contains(qkdKey.bytes.count) else {
            throw QKDError(
                .invalidParameter,
                "QKD key \(qkdKey.id) is \(qkdKey.bitCount) bits; a hybrid key needs \(minimumKeyByteCount * 8)...\(maximumKeyByteCount * 8) bits"
            )
        }
    }

    private static func validate(ciphertext: [UInt8]) throws {
        guard ciphertext.count == ciphertextByteCount else {
            throw QKDError(
                .invalidParameter,
                "the ML-KEM-768 ciphertext is \(ciphertext.count) bytes, expected \(ciphertextByteCount)"
            )
        }
    }

    private static func bytes(of key: SymmetricKey) -> [UInt8] {
        key.withUnsafeBytes { [UInt8]($0) }
    }
}
