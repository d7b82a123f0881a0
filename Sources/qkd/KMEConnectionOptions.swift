import ArgumentParser
import Foundation
import KeyManagementServer
import QKDCore
import QKDNode

/// The connection options shared by the `qkd keys` commands.
struct KMEConnectionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The KME, host:port.", valueName: "host:port"))
    var kme: String = "localhost:8443"

    @Option(help: ArgumentHelp("This SAE's client certificate (PEM).", valueName: "file"))
    var cert: String

    @Option(help: ArgumentHelp("This SAE's private key (PEM).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("The CA that signed the KME's certificate (PEM).", valueName: "file"))
    var cacert: String

    @Option(help: ArgumentHelp("Give up if the KME does not accept the connection within this time, e.g. 10s.", valueName: "duration"))
    var connectTimeout: String = "10s"

    @Option(help: ArgumentHelp("Give up if the KME, once connected, does not answer within this time, e.g. 30s.", valueName: "duration"))
    var readTimeout: String = "30s"

    /// Sends `GET path` (or `POST` with `body`) and prints the JSON answer; a non-200 answer is a
    /// `QKDError` carrying the KME's message.
    func call(_ path: String, body: Data? = nil) throws {
        let parts = kme.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else {
            throw QKDError(.invalidParameter, "--kme \"\(kme)\" is not host:port")
        }
        let timeouts = KMEClient.Timeouts(
            connect: try Self.duration(connectTimeout, option: "--connect-timeout"), read: try Self.duration(readTimeout, option: "--read-timeout"))
        let client = try KMEClient(
            host: String(parts[0]), port: port, certificatePath: cert, privateKeyPath: key, caPath: cacert, timeouts: timeouts)
        let answer = try AsyncBridge.run { try await client.send(KMEServer.basePath + path, body: body) }
        guard answer.status == 200 else {
            let message = (try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["message"] as? String
            throw QKDError(.protocolFailure, "the KME answered \(answer.status): \(message ?? "no ETSI error body")")
        }
        FileHandle.standardOutput.write(answer.body + Data("\n".utf8))
    }

    /// The duration `text` (as `10s`, `1.5s`, `2m`); throws `QKDError` `.invalidParameter` naming `option`.
    private static func duration(_ text: String, option: String) throws -> Duration {
        do {
            return .milliseconds(Int64((try DurationParser.seconds(text) * 1000).rounded(.up)))
        } catch let error as QKDError {
            throw QKDError(.invalidParameter, "\(option): \(error.message)")
        }
    }
}
