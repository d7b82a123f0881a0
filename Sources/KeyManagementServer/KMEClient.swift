import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import QKDCore

/// A small ETSI GS QKD 014 client over mutual TLS (`qkd keys`): one HTTP/1.1 request per
/// connection, the SAE's certificate and key presented, the KME's certificate verified against a
/// CA and the host name.
public struct KMEClient: Sendable {
    /// The KME's host name (checked against its certificate).
    public let host: String
    /// The KME's port.
    public let port: Int
    private let sslContext: NIOSSLContext

    /// A client of the KME at `host:port`, presenting `certificatePath` and `privateKeyPath`
    /// (PEM) and trusting `caPath`. Throws `QKDError` `.malformedInput` naming a file that is not
    /// PEM.
    public init(host: String, port: Int, certificatePath: String, privateKeyPath: String, caPath: String) throws {
        self.host = host
        self.port = port
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        } catch {
            throw QKDError(.malformedInput, "cannot read PEM file \(certificatePath)")
        }
        do {
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem))
        } catch {
            throw QKDError(.malformedInput, "cannot read PEM file \(privateKeyPath)")
        }
        do {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        } catch {
            throw QKDError(.malformedInput, "cannot read PEM file \(caPath)")
        }
        do {
            sslContext = try NIOSSLContext(configuration: tls)
        } catch {
            throw QKDError(.malformedInput, "the client certificate and key do not make a TLS identity")
        }
    }

    /// The answer to one request: the HTTP status and the body.
    public struct Answer: Sendable {
        /// The HTTP status code.
        public let status: Int
        /// The body.
        public let body: Data
    }

    /// Sends `GET path`, or `POST path` with the JSON `body`, and returns the answer. Throws
    /// `QKDError` `.protocolFailure` if the connection or the TLS handshake fails.
    public func send(_ path: String, body: Data? = nil) async throws -> Answer {
        let host = host, sslContext = sslContext
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sslHandler = try NIOSSLClientHandler(context: sslContext, serverHostname: host)
                        try channel.pipeline.syncOperations.addHandler(sslHandler)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: body == nil ? .GET : .POST, uri: path)
                head.headers.add(name: "Host", value: host)
                head.headers.add(name: "Connection", value: "close")
                if let body {
                    head.headers.add(name: "Content-Type", value: "application/json")
                    head.headers.add(name: "Content-Length", value: "\(body.count)")
                }
                try await outbound.write(.head(head))
                if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                try await outbound.write(.end(nil))
                var status = 0
                var received = Data()
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead): status = Int(responseHead.status.code)
                    case .body(let buffer): received.append(contentsOf: buffer.readableBytesView)
                    case .end: return Answer(status: status, body: received)
                    }
                }
                throw QKDError(.protocolFailure, "the KME at \(host):\(port) closed the connection before answering")
            }
        } catch let error as QKDError {
            throw error
        } catch {
            throw QKDError(.protocolFailure, "cannot talk to the KME at \(host):\(port) (\(Self.describe(error)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        "\(error)".split(separator: "\n").first.map(String.init) ?? "\(type(of: error))"
    }
}
