import Foundation
import Hummingbird
import HummingbirdTLS
import KeyManagement
import Logging
import NIOCore
import NIOSSL
import QKDCore

/// The ETSI GS QKD 014 key server: HTTPS with mutual TLS on Hummingbird, the caller's SAE ID
/// taken from its client certificate's subject, requests served by a ``KeyManagementEntity``.
///
/// Routes (base path ``basePath``): `GET {slave}/status`, `GET|POST {slave}/enc_keys`,
/// `GET|POST {master}/dec_keys`, the OpenAPI document at ``openAPIPath``, and, for the peer KME
/// only (its client certificate), `POST` ``peerDeliveriesPath``, and, for neighbour KMEs of a
/// relaying KME, `POST` ``peerRelayLevelsPath`` and ``peerRelayForwardPath``.
public struct KMEServer: Sendable {
    /// The base path of the key delivery API.
    public static let basePath = "/api/v1/keys"
    /// Where the OpenAPI document of the API is served.
    public static let openAPIPath = "/api/v1/openapi.json"
    /// Where the peer KME posts its ``PeerDeliveryNotice``s (KME to KME, not part of ETSI 014).
    public static let peerDeliveriesPath = "/api/v1/peer/deliveries"
    /// Where a neighbour KME asks how much key the links hold (``RelayLevelsRequest``).
    public static let peerRelayLevelsPath = KMERelay.levelsPath
    /// Where a neighbour KME forwards relayed keys (``RelayForwardRequest``).
    public static let peerRelayForwardPath = KMERelay.forwardPath

    /// The KME logic the routes call.
    public let entity: KeyManagementEntity

    /// Creates a server for `entity`.
    public init(entity: KeyManagementEntity) {
        self.entity = entity
    }

    /// The router with every route of the API.
    public func router() -> Router<KMERequestContext> {
        let router = Router(context: KMERequestContext.self)
        router.add(middleware: ETSIErrorMiddleware())
        let entity = entity
        let keys = router.group(RouterPath(Self.basePath))
        keys.get("{SAE_ID}/status") { _, context in
            try await Self.json(entity.status(caller: Self.callerSAE(context, entity), slave: context.parameters.require("SAE_ID")))
        }
        keys.get("{SAE_ID}/enc_keys") { request, context in
            let keyRequest = try KeyRequest(query: Self.query(request))
            return try await Self.json(entity.encryptionKeys(
                caller: Self.callerSAE(context, entity), slave: context.parameters.require("SAE_ID"), request: keyRequest))
        }
        keys.post("{SAE_ID}/enc_keys") { request, context in
            let body = try await Self.body(request, context)
            let keyRequest = try KeyRequest(body: body)
            return try await Self.json(entity.encryptionKeys(
                caller: Self.callerSAE(context, entity), slave: context.parameters.require("SAE_ID"), request: keyRequest))
        }
        keys.get("{SAE_ID}/dec_keys") { request, context in
            let idsRequest = try KeyIDsRequest(query: Self.query(request))
            return try await Self.json(entity.decryptionKeys(
                caller: Self.callerSAE(context, entity), master: context.parameters.require("SAE_ID"), request: idsRequest))
        }
        keys.post("{SAE_ID}/dec_keys") { request, context in
            let body = try await Self.body(request, context)
            let idsRequest = try KeyIDsRequest(body: body)
            return try await Self.json(entity.decryptionKeys(
                caller: Self.callerSAE(context, entity), master: context.parameters.require("SAE_ID"), request: idsRequest))
        }
        router.post(RouterPath(Self.peerDeliveriesPath)) { request, context in
            let notice = try PeerDeliveryNotice(body: try await Self.body(request, context))
            return try Self.json(try await entity.recordPeerDelivery(callerSubject: try await Self.callerSubject(context), notice: notice))
        }
        router.post(RouterPath(Self.peerRelayLevelsPath)) { request, context in
            let levelsRequest = try RelayLevelsRequest(body: try await Self.body(request, context))
            return try Self.json(try await entity.relayLevels(callerSubject: try await Self.callerSubject(context), request: levelsRequest))
        }
        router.post(RouterPath(Self.peerRelayForwardPath)) { request, context in
            let forwardRequest = try RelayForwardRequest(body: try await Self.body(request, context))
            return try Self.json(try await entity.relayForward(callerSubject: try await Self.callerSubject(context), request: forwardRequest))
        }
        router.get(RouterPath(Self.openAPIPath)) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: try KMEOpenAPIDocument.data()))
            )
        }
        return router
    }

    /// The server's TLS settings: its certificate and key, and a client certificate required and
    /// verified against the configured CA (no certificate, or another CA's: the handshake fails).
    ///
    /// Throws `QKDError` `.malformedInput` naming the file that cannot be read as PEM.
    public func tlsConfiguration() throws -> TLSConfiguration {
        let configuration = entity.configuration
        let chain = try Self.pem(configuration.certificatePath) { try NIOSSLCertificate.fromPEMFile($0) }
        let key = try Self.pem(configuration.privateKeyPath) { try NIOSSLPrivateKey(file: $0, format: .pem) }
        let roots = try Self.pem(configuration.clientCAPath) { try NIOSSLCertificate.fromPEMFile($0) }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(roots)
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// Listens on the configured address until SIGTERM or SIGINT, then shuts down gracefully.
    /// `onListening` gets the bound port once the server accepts connections.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onListening: onListening).runService()
    }

    /// The Hummingbird application of the server, a `Service` to run in a `ServiceGroup` (tests
    /// run it so and stop it with a graceful shutdown). Throws `QKDError` if a PEM file of the
    /// configuration cannot be read.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        var logger = Logger(label: "qkd-kme")
        logger.logLevel = .warning
        let configuration = entity.configuration
        return Application(
            router: router(),
            server: try .tls(.http1(), tlsConfiguration: tlsConfiguration()),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    // MARK: - Request plumbing

    /// The subject of the caller's verified client certificate; 401 if there is none.
    private static func callerSubject(_ context: KMERequestContext) async throws(ETSIError) -> String {
        do {
            guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
                throw ETSIError.unauthorized("the connection has no client certificate")
            }
            return Self.subjectDescription(certificate)
        } catch let error as ETSIError {
            throw error
        } catch {
            throw .unauthorized("the client certificate cannot be read")
        }
    }

    /// The SAE ID of the caller, from the subject of its verified client certificate; 401 if the
    /// subject is not in the configured map.
    private static func callerSAE(_ context: KMERequestContext, _ entity: KeyManagementEntity) async throws(ETSIError) -> String {
        let subject = try await callerSubject(context)
        guard let saeID = entity.configuration.saeIDsBySubject[subject] else {
            throw .unauthorized("no SAE is configured for the client certificate subject \"\(subject)\"")
        }
        return saeID
    }

    /// The subject in RFC 4514 order (most specific first), e.g. `CN=SAE_A,O=QKDKit development`.
    private static func subjectDescription(_ certificate: NIOSSLCertificate) -> String {
        let labels: [SSLCertificateNameType: String] = [
            .commonName: "CN", .organization: "O", .organizationalUnit: "OU", .country: "C",
            .state: "ST", .city: "L", .emailAddress: "emailAddress", .userId: "UID",
        ]
        return certificate.subjectName.reversed().map { "\(labels[$0.type] ?? "?")=\($0.value)" }.joined(separator: ",")
    }

    private static func query(_ request: Request) -> [(name: String, value: String)] {
        request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
    }

    private static func body(_ request: Request, _ context: KMERequestContext) async throws -> Data {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return Data(buffer.readableBytesView)
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }

    private static func pem<Value>(_ path: String, _ read: (String) throws -> Value) throws -> Value {
        do {
            return try read(path)
        } catch {
            throw QKDError(.malformedInput, "cannot read PEM file \(path)")
        }
    }
}
