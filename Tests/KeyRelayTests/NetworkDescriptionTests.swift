import Foundation
import KeyRelay
import QKDCore
import Testing

@Suite("NetworkDescription")
struct NetworkDescriptionTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/networks")

    @Test(arguments: ["reference-link", "corridor-240km", "metro-ring", "metro-ring-outage"])
    func shippedExamplesAreValid(name: String) throws {
        let network = try NetworkDescription.load(path: Self.examples.appendingPathComponent("\(name).json").path)
        #expect(network.links.allSatisfy { $0.preset == "paper-120km" })
        #expect(network.nodes.flatMap(\.saes).count >= 2)
    }

    @Test func theCorridorHasNoDirectLinkBetweenItsEnds() throws {
        let corridor = try NetworkDescription.load(path: Self.examples.appendingPathComponent("corridor-240km.json").path)
        #expect(corridor.node(ofSAE: "SAE_WEST") == "west")
        #expect(corridor.node(ofSAE: "SAE_EAST") == "east")
        #expect(!corridor.links.contains { $0.touches("west") && $0.touches("east") })
        #expect(corridor.links.map(\.lengthKm).reduce(0, +) == 240)
    }

    @Test func absentSAEsAndParametersDefaultToEmpty() throws {
        let json = #"{"nodes": [{"id": "A"}, {"id": "B"}], "links": [{"id": "l", "from": "A", "to": "B", "preset": "p", "length_km": 5, "parameters": {"fiber.attenuationDbPerKm": 0.17}}]}"#
        let network = try NetworkDescription(data: Data(json.utf8), name: "inline")
        #expect(network.nodes[0].saes.isEmpty)
        #expect(network.links[0].parameters == ["fiber.attenuationDbPerKm": 0.17])
    }

    @Test func outagesAreReadAndTellWhenALinkIsDown() throws {
        let json = #"{"nodes": [{"id": "A"}, {"id": "B"}], "links": [{"id": "l", "from": "A", "to": "B", "preset": "p", "length_km": 5}], "outages": [{"link": "l", "down_at_s": 10, "up_at_s": 20}, {"link": "l", "down_at_s": 30}]}"#
        let network = try NetworkDescription(data: Data(json.utf8), name: "inline")
        #expect(network.outages == [LinkOutage(link: "l", downAtSeconds: 10, upAtSeconds: 20), LinkOutage(link: "l", downAtSeconds: 30)])
        #expect(!network.isDown("l", at: 9.9) && network.isDown("l", at: 10) && network.isDown("l", at: 19.9))
        #expect(!network.isDown("l", at: 20) && !network.isDown("l", at: 29) && network.isDown("l", at: 1e9))
        let noOutages = try NetworkDescription(data: Data(json.replacingOccurrences(of: #""outages""#, with: #""unused""#).utf8), name: "inline")
        #expect(noOutages.outages.isEmpty)
        #expect(throws: QKDError(.invalidParameter, "outages[0] and outages[2] both take link \"l\" down at once")) {
            try network.adding(outages: [LinkOutage(link: "l", downAtSeconds: 15)])
        }
        #expect(try network.adding(outages: [LinkOutage(link: "l", downAtSeconds: 20, upAtSeconds: 30)]).outages.count == 3)
    }

    private static func problem(
        _ nodes: [NetworkDescription.Node], _ links: [NetworkDescription.Link], outages: [LinkOutage] = []
    ) -> String? {
        do {
            _ = try NetworkDescription(nodes: nodes, links: links, outages: outages)
            return nil
        } catch let error as QKDError {
            return error.code == .invalidParameter ? error.message : "wrong code \(error.code)"
        } catch {
            return "\(error)"
        }
    }

    private static let twoNodes = [NetworkDescription.Node(id: "A", saes: ["SAE_A"]), NetworkDescription.Node(id: "B")]

    private static func link(
        _ id: String = "l", _ from: String = "A", _ to: String = "B", km: Double = 10, parameters: [String: Double] = [:]
    ) -> NetworkDescription.Link {
        NetworkDescription.Link(id: id, from: from, to: to, preset: "paper-120km", lengthKm: km, parameters: parameters)
    }

    @Test func validationNamesWhatIsWrong() {
        #expect(Self.problem(Self.twoNodes, [Self.link()]) == nil)
        #expect(Self.problem([], []) == "the network has no nodes")
        #expect(Self.problem(Self.twoNodes + [.init(id: "A")], []) == "node ID \"A\" is used twice")
        #expect(Self.problem(Self.twoNodes + [.init(id: "C", saes: ["SAE_A"])], [])
            == "SAE \"SAE_A\" is attached to both node \"A\" and node \"C\"")
        #expect(Self.problem(Self.twoNodes, [Self.link("l", "A", "Z")]) == "link \"l\" names unknown node \"Z\"")
        #expect(Self.problem(Self.twoNodes, [Self.link("l", "A", "A")]) == "link \"l\" links node \"A\" to itself")
        #expect(Self.problem(Self.twoNodes, [Self.link(km: 0)]) == "link \"l\" has length 0.0 km; it must be positive")
        #expect(Self.problem(Self.twoNodes, [Self.link(km: -3)]) == "link \"l\" has length -3.0 km; it must be positive")
        #expect(Self.problem(Self.twoNodes, [Self.link(km: .nan)])?.contains("it must be positive") == true)
        #expect(Self.problem(Self.twoNodes, [Self.link("l"), Self.link("l", "B", "A")]) == "link ID \"l\" is used twice")
        #expect(Self.problem(Self.twoNodes, [Self.link("l"), Self.link("m", "B", "A")])
            == "links \"l\" and \"m\" both join nodes \"B\" and \"A\"")
    }

    @Test func parameterOverridesAreNamedSectionDotParameter() {
        #expect(Self.problem(Self.twoNodes, [Self.link(parameters: ["detector.efficiency": 0.5, "fiber.extraLossDb": 3])]) == nil)
        #expect(Self.problem(Self.twoNodes, [Self.link(parameters: ["efficiency": 0.5])])
            == "link \"l\": parameter \"efficiency\" is not named section.parameter, like detector.efficiency")
        #expect(Self.problem(Self.twoNodes, [Self.link(parameters: ["detector.": 0.5])])
            == "link \"l\": parameter \"detector.\" is not named section.parameter, like detector.efficiency")
        #expect(Self.problem(Self.twoNodes, [Self.link(parameters: ["fiber.lengthKm": 50])])
            == "link \"l\": give the length as length_km, not as parameter \"fiber.lengthKm\"")
        #expect(Self.problem(Self.twoNodes, [Self.link(parameters: ["detector.efficiency": .infinity])])
            == "link \"l\": parameter \"detector.efficiency\" is inf, not a finite number")
    }

    @Test func outagesNameWhatIsWrong() {
        func problem(_ outage: LinkOutage) -> String? { Self.problem(Self.twoNodes, [Self.link()], outages: [outage]) }
        #expect(problem(LinkOutage(link: "l", downAtSeconds: 0)) == nil)
        #expect(problem(LinkOutage(link: "m", downAtSeconds: 5)) == "outages[0] names unknown link \"m\"")
        #expect(problem(LinkOutage(link: "l", downAtSeconds: -1)) == "outages[0] (link \"l\"): down_at_s is -1.0; it must be 0 or later")
        #expect(problem(LinkOutage(link: "l", downAtSeconds: 5, upAtSeconds: 5))
            == "outages[0] (link \"l\"): up_at_s is 5.0; it must come after down_at_s 5.0")
    }

    @Test func malformedFilesNameTheFileAndTheField() {
        func message(_ json: String) -> String? {
            do {
                _ = try NetworkDescription(data: Data(json.utf8), name: "net.json")
                return nil
            } catch let error as QKDError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(#"{"nodes": [{"id": "A"}], "links": [{"id": "l", "from": "A", "to": "B", "preset": "p"}]}"#)
            == "network net.json: links[0].length_km is missing")
        #expect(message(#"{"nodes": [{"id": 3}], "links": []}"#)?.hasPrefix("network net.json: nodes[0].id has the wrong type") == true)
        #expect(message("not json")?.hasPrefix("network net.json is not a JSON network description") == true)
        #expect(message(#"{"nodes": [{"id": "A"}], "links": [{"id": "l", "from": "A", "to": "B", "preset": "p", "length_km": 1}]}"#)
            == "network net.json: link \"l\" names unknown node \"B\"")
    }
}
