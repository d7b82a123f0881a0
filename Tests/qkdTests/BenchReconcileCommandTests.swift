import Foundation
import Testing

/// `qkd bench reconcile` through the built executable.
@Suite struct BenchReconcileCommandTests {
    @Test func jsonHasTheDocumentedFields() throws {
        let result = try runQKD([
            "bench", "reconcile", "--method", "cascade", "--block-size", "4096", "--qber", "0.03", "--blocks", "20",
            "--threads", "2", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        for field in ["method", "blockSize", "qber", "blocks", "efficiency", "frameErrorRate", "throughputMbps", "roundTrips", "cpuMbps"] {
            #expect(object?[field] != nil, "\(field)")
        }
        #expect(object?["method"] as? String == "cascade")
        #expect(object?["blockSize"] as? Int == 4096)
        #expect(object?["blocks"] as? Int == 20)
        // Cascade discloses more than the Shannon limit, and not absurdly more.
        let efficiency = object?["efficiency"] as? Double ?? 0
        #expect(efficiency > 1 && efficiency < 1.3)
    }

    @Test(arguments: [
        (["--block-size", "0", "--qber", "0.02", "--blocks", "5"], "block size"),
        (["--block-size", "1000", "--qber", "0.5", "--blocks", "5"], "QBER"),
        (["--block-size", "1000", "--qber", "0", "--blocks", "5"], "QBER"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "0"], "block count"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "5", "--method", "turbo"], "--method"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "5", "--search-limit", "0"], "--search-limit"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "5", "--search-limit", "2", "--method", "ldpc"], "--search-limit"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "5", "--search-limit", "2", "--search-order", "all-at-once"], "--search-limit"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "5", "--second-pass-order", "sideways"], "--second-pass-order"),
        (["--block-size", "1000", "--qber", "0.02", "--blocks", "5", "--second-pass-order", "fixed", "--method", "ldpc"], "--second-pass-order"),
    ])
    func badInputIsOneLineAndExitTwo(arguments: [String], mentioned: String) throws {
        let result = try runQKD(["bench", "reconcile"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(mentioned), "\(result.stderr)")
    }
}
