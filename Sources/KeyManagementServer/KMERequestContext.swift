import Hummingbird
import NIOCore

/// The request context of the KME: Hummingbird's core context plus the connection's channel, from
/// which the caller's TLS client certificate is read.
public struct KMERequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    public let channel: any Channel

    /// Creates the context of a request on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }

    /// Request bodies of ETSI 014 are small; larger ones are refused.
    public var maxUploadSize: Int { 1 << 20 }
}
