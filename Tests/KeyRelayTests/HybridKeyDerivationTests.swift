import Crypto
import Foundation
import KeyManagement
import KeyRelay
import QKDCore
import Testing

@Suite("HybridKeyDerivation")
struct HybridKeyDerivationTests {
    private let qkdKey = DeliveredKey(id: UUID(), bytes: (0..<32).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) })

    @Test func bothKMEsDeriveTheSameKeyUnderTheQKDKeyID() throws {
        let slaveKME = try MLKEM768.PrivateKey()
        let (masterKey, ciphertext) = try HybridKeyDerivation.encapsulate(qkdKey: qkdKey, peerPublicKey: slaveKME.publicKey)
        let slaveKey = try HybridKeyDerivation.decapsulate(qkdKey: qkdKey, ciphertext: ciphertext, privateKey: slaveKME)
        #expect(masterKey == slaveKey)
        #expect(masterKey.id == qkdKey.id)
        #expect(masterKey.bytes.count == qkdKey.bytes.count)
        #expect(masterKey.bytes != qkdKey.bytes)
    }

    @Test func keepsTheLengthOfLongQKDKeys() throws {
        let longKey = DeliveredKey(id: UUID(), bytes: [UInt8](repeating: 0xA5, count: 1024))
        let slaveKME = try MLKEM768.PrivateKey()
        let (masterKey, ciphertext) = try HybridKeyDerivation.encapsulate(qkdKey: longKey, peerPublicKey: slaveKME.publicKey)
        #expect(masterKey.bytes.count == 1024)
        #expect(try HybridKeyDerivation.decapsulate(qkdKey: longKey, ciphertext: ciphertext, privateKey: slaveKME) == masterKey)
    }

    @Test func changingTheQKDKeyChangesTheResult() throws {
        let ciphertext = [UInt8](repeating: 7, count: HybridKeyDerivation.ciphertextByteCount)
        let secret = [UInt8](repeating: 9, count: HybridKeyDerivation.sharedSecretByteCount)
        let reference = try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: secret, ciphertext: ciphertext)
        var flipped = qkdKey.bytes
        flipped[31] ^= 1
        let other = try HybridKeyDerivation.derive(
            qkdKey: DeliveredKey(id: qkdKey.id, bytes: flipped), sharedSecret: secret, ciphertext: ciphertext)
        #expect(other.bytes != reference.bytes)
    }

    @Test func changingTheMLKEMSecretChangesTheResult() throws {
        let ciphertext = [UInt8](repeating: 7, count: HybridKeyDerivation.ciphertextByteCount)
        var secret = [UInt8](repeating: 9, count: HybridKeyDerivation.sharedSecretByteCount)
        let reference = try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: secret, ciphertext: ciphertext)
        secret[0] ^= 0x80
        #expect(try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: secret, ciphertext: ciphertext).bytes != reference.bytes)
    }

    @Test func theCiphertextAndTheKeyIDAreBound() throws {
        var ciphertext = [UInt8](repeating: 7, count: HybridKeyDerivation.ciphertextByteCount)
        let secret = [UInt8](repeating: 9, count: HybridKeyDerivation.sharedSecretByteCount)
        let reference = try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: secret, ciphertext: ciphertext)
        let otherID = try HybridKeyDerivation.derive(
            qkdKey: DeliveredKey(id: UUID(), bytes: qkdKey.bytes), sharedSecret: secret, ciphertext: ciphertext)
        #expect(otherID.bytes != reference.bytes)
        ciphertext[500] ^= 1
        #expect(try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: secret, ciphertext: ciphertext).bytes != reference.bytes)
    }

    @Test func aTamperedCiphertextGivesADifferentKeyAtThePeer() throws {
        let slaveKME = try MLKEM768.PrivateKey()
        let (masterKey, ciphertext) = try HybridKeyDerivation.encapsulate(qkdKey: qkdKey, peerPublicKey: slaveKME.publicKey)
        var tampered = ciphertext
        tampered[0] ^= 1
        #expect(try HybridKeyDerivation.decapsulate(qkdKey: qkdKey, ciphertext: tampered, privateKey: slaveKME) != masterKey)
    }

    @Test func wrongLengthsAreRefusedNamingTheInput() throws {
        let ciphertext = [UInt8](repeating: 7, count: HybridKeyDerivation.ciphertextByteCount)
        let secret = [UInt8](repeating: 9, count: HybridKeyDerivation.sharedSecretByteCount)
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let error as QKDError {
                #expect(error.code == .invalidParameter)
                return error.message
            } catch {
                return "\(error)"
            }
        }
        let shortSecret = message { _ = try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: Array(secret.dropLast()), ciphertext: ciphertext) }
        #expect(shortSecret?.contains("shared secret is 31 bytes, expected 32") == true)
        let shortCiphertext = message { _ = try HybridKeyDerivation.derive(qkdKey: qkdKey, sharedSecret: secret, ciphertext: [1, 2, 3]) }
        #expect(shortCiphertext?.contains("ciphertext is 3 bytes, expected 1088") == true)
        let shortKey = DeliveredKey(id: UUID(), bytes: [UInt8](repeating: 1, count: 8))
        let tooShort = message { _ = try HybridKeyDerivation.derive(qkdKey: shortKey, sharedSecret: secret, ciphertext: ciphertext) }
        #expect(tooShort?.contains("is 64 bits; a hybrid key needs 128...65280 bits") == true)
        let longKey = DeliveredKey(id: UUID(), bytes: [UInt8](repeating: 1, count: HybridKeyDerivation.maximumKeyByteCount + 1))
        #expect(message { _ = try HybridKeyDerivation.derive(qkdKey: longKey, sharedSecret: secret, ciphertext: ciphertext) } != nil)
        let slaveKME = try MLKEM768.PrivateKey()
        let truncated = message { _ = try HybridKeyDerivation.decapsulate(qkdKey: qkdKey, ciphertext: Array(ciphertext.prefix(1000)), privateKey: slaveKME) }
        #expect(truncated?.contains("ciphertext is 1000 bytes, expected 1088") == true)
    }
}
