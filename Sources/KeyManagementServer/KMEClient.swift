import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import QKDCore

/// A small ETSI GS QKD 014 client over mutual TLS (`qkd keys`, and the KME-to-KME channels of
/// ``PeerKMEClient`` and the relay): one HTTP/1.1 request per connection, the SAE's certificate
/// and key presented, the KME's certificate verified against a CA and the host name.
///
/// Every request is bounded by two ``Timeouts``: a KME that does not accept the connection, or
/// accepts it and never answers, fails the request after at most connect + read timeout instead
/// of holding the caller forever.
public struct KMEClient: Sendable {
    /// How long a request may wait, at most.
    public struct Timeouts: Sendable, Equatable {
        /// The longest wait for the TCP connection to be accepted.
        public var connect: Duration
        /// The longest wait, once connected, for the whole answer (TLS handshake, request sent,
        /// response head and body received).
        public var read: Duration

        /// The defaults: 10 s to connect, 30 s to answer. A KME answers in milliseconds, and a
        /// peer KME's answer includes one SQLite transaction that may wait up to 10 s for the
        /// file's lock, hence the margin.
        public static let `default` = Timeouts(connect: .seconds(10), read: .seconds(30))

        /// Timeouts of `connect` and `read`.
        public init(connect: Duration, read: Duration) {
            self.connect = connect
            self.read = read
        }

        /// Throws `QKDError` `.invalidParameter` naming `what` unless both timeouts are positive.
        public func validate(_ what: String) throws {
            for (name, value) in [("connect", connect), ("read", read)] where value <= .zero {
                throw QKDError(.invalidParameter, "\(what): the \(name) timeout must be positive, not \(KMEClient.describe(value))")
            }
        }
    }

    /// The KME's host name (checked against its certificate).
    public let host: String
    /// The KME's port.
    public let port: Int
    /// The request's time limits.
    public let timeouts: Timeouts
    private let sslContext: NIOSSLContext

    /// A client of the KME at `host:port`, presenting `certificatePath` and `privateKeyPath`
    /// (PEM) and trusting `caPath`, each request bounded by `timeouts`. Throws `QKDError`
    /// `.malformedInput` naming a file that is not PEM, `.invalidParameter` for a timeout that
    /// is not positive.
    public init(
        host: String, port: Int, certificatePath: String, privateKeyPath: String, caPath: String, timeouts: Timeouts = .default
    ) throws {
        try timeouts.validate("the client of the KME at \(host):\(port)")
        self.host = host
        self.port = port
        self.timeouts = timeouts
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

    /// The name sent in the TLS handshake (SNI) and checked against the KME's certificate: the
    /// host itself, or nil for an IP address, which RFC 6066 (section 3) does not allow as a
    /// server name; the certificate is then checked against the connected address (its IP
    /// address entries), so `127.0.0.1` works like `localhost` with a certificate naming both.
    static func serverName(for host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// The answer to one request: the HTTP status and the body.
    public struct Answer: Sendable {
        /// The HTTP status code.
        public let status: Int
        /// The body.
        public let body: Data
    }

    /// Sends `GET path`, or `POST path` with the JSON `body`, and returns the answer. Throws
    /// `QKDError` `.protocolFailure` if the connection or the TLS handshake fails, and
    /// `.unavailable` naming the host and the timeout if the KME does not accept the connection
    /// within ``Timeouts/connect`` or does not answer within ``Timeouts/read``.
    public func send(_ path: String, body: Data? = nil) async throws -> Answer {
        let host = host, port = port, sslContext = sslContext, timeouts = timeouts
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeouts.connect))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sslHandler = try NIOSSLClientHandler(context: sslContext, serverHostname: Self.serverName(for: host))
                        try channel.pipeline.syncOperations.addHandler(sslHandler)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch ChannelError.connectTimeout {
            throw QKDError(
                .unavailable,
                "the KME at \(host):\(port) did not accept the connection within \(Self.describe(timeouts.connect)) (connect timeout)")
        } catch {
            throw QKDError(.protocolFailure, "cannot talk to the KME at \(host):\(port) (\(Self.describe(error)))")
        }
        // The exchange races the read timeout; when the timeout wins, closing the channel ends
        // the exchange (its reads fail), so the group never waits on a silent KME.
        let answer = await withTaskGroup(of: Result<Answer, any Error>?.self) { group in
            group.addTask {
                do {
                    return .success(try await Self.exchange(path, body: body, host: host, port: port, over: channel))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeouts.read)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { channel.channel.close(promise: nil) }
            group.cancelAll()
            return first
        }
        switch answer {
        case .success(let answer)?:
            return answer
        case .failure(let error as QKDError)?:
            throw error
        case .failure(let error)?:
            throw QKDError(.protocolFailure, "cannot talk to the KME at \(host):\(port) (\(Self.describe(error)))")
        case nil:
            throw QKDError(.unavailable, "the KME at \(host):\(port) did not answer within \(Self.describe(timeouts.read)) (read timeout)")
        }
    }

    /// Sends the request over `channel` and reads the answer, then closes the channel.
    private static func exchange(
        _ path: String, body: Data?, host: String, port: Int, over channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
    ) async throws -> Answer {
        try await channel.executeThenClose { inbound, outbound in
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
    }

    /// `duration` for messages: whole seconds as `10 s`, else in milliseconds.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(Int((Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded())) ms"
    }

    private static func describe(_ error: any Error) -> String {
        "\(error)".split(separator: "\n").first.map(String.init) ?? "\(type(of: error))"
    }
}
