#!/bin/sh
# Relay pads against pool size (BENCHMARKS.md, "Relay pads without a pool scan").
# Usage: scripts/bench-relay-pads.sh [COMMIT]   (default HEAD; the parent of the change for "before")
# Builds a scratch release harness in a temporary folder from COMMIT's QKDCore, KeyManagement and
# KeyRelay sources (HybridKeyDerivation left out, so swift-crypto is not built; GRDB from
# .build/checkouts, so run `swift build` once first) and prints the process CPU time of one
# sender pad of 256 bits (the body of KeyRelayNetwork.takePad at COMMIT) and of one relay over
# one link, for pools of 10^3, 10^4 and 10^5 stored keys, in memory and in SQLite.
set -eu
commit=${1:-HEAD}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/RelayBench"
packed=""
qkdcore='.target(name: "QKDCore"),'
if git -C "$root" cat-file -e "$commit:Sources/CPackedBits" 2>/dev/null; then
    packed=Sources/CPackedBits
    qkdcore='.target(name: "CPackedBits"), .target(name: "QKDCore", dependencies: ["CPackedBits"]),'
fi
git -C "$root" archive "$commit" Sources/QKDCore $packed Sources/KeyManagement Sources/KeyRelay | tar -x -C "$work"
rm -f "$work/Sources/KeyRelay/HybridKeyDerivation.swift"
flag=""
git -C "$root" grep -q oldestKeys "$commit" -- Sources/KeyManagement/KeyStore.swift || flag="-Xswiftc -DBEFORE"
cat > "$work/Package.swift" <<SWIFT
// swift-tools-version: 6.2
import PackageDescription
let package = Package(
    name: "RelayBench", platforms: [.macOS(.v14)],
    dependencies: [.package(path: "$root/.build/checkouts/GRDB.swift")],
    targets: [
        $qkdcore
        .target(name: "KeyManagement", dependencies: ["QKDCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "KeyRelay", dependencies: ["QKDCore", "KeyManagement"]),
        .executableTarget(name: "RelayBench", dependencies: ["KeyRelay", "KeyManagement", "QKDCore"]),
    ],
    swiftLanguageModes: [.v6]
)
SWIFT
cat > "$work/Sources/RelayBench/main.swift" <<'SWIFT'
import Foundation
import KeyManagement
import KeyRelay
import QKDCore

// RelayBench memory|sqlite ITERATIONS N... : for each pool size N (stored keys of 256 bits), the
// process CPU time of ITERATIONS sender pads of 256 bits taken as KeyRelayNetwork.takePad takes
// them (the body of the commit built: -DBEFORE for the parent), then of ITERATIONS relays of
// 256-bit keys over one link. CPU time, not wall time: the machine is shared and overloaded.
let kind = CommandLine.arguments[1]
let iterations = Int(CommandLine.arguments[2])!
let poolSizes = CommandLine.arguments.dropFirst(3).compactMap { Int($0) }
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relaybench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

func makeStore(_ role: RelayStoreRole, _ tag: String) throws -> any KeyStore {
    kind == "memory" ? MemoryKeyStore() : try SQLiteKeyStore(path: directory.appendingPathComponent("\(tag) \(role).sqlite").path)
}

func keys(_ count: Int, _ stream: String) -> [StoredKey] {
    var generator = SeededGenerator(seed: 1, stream: stream)
    return (0..<count).map { _ in
        StoredKey(id: UUID(), bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }, blockID: 1, createdAt: Date())
    }
}

func takePad(_ pool: any KeyStore, sizeBits: Int) throws -> [UInt8] {
    #if BEFORE
    var ids: [UUID] = [], material: [UInt8] = []
    for id in try pool.keyIDs() where material.count < sizeBits / 8 {
        guard let stored = try pool.key(id: id) else { continue }
        ids.append(id)
        material += stored.bytes
    }
    #else
    let stored = try pool.oldestKeys(holdingAtLeast: sizeBits)
    let ids = stored.map(\.id)
    let material = stored.flatMap(\.bytes)
    #endif
    for id in ids { _ = try pool.remove(id: id) }
    return Array(material.prefix(sizeBits / 8))
}

func describe(_ durations: [Duration]) -> String {
    let sorted = durations.sorted()
    let microseconds = { (d: Duration) in Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12 }
    let mean = durations.map(microseconds).reduce(0, +) / Double(durations.count)
    return String(format: "min %.1f us, median %.1f us, mean %.1f us", microseconds(sorted[0]), microseconds(sorted[sorted.count / 2]), mean)
}

let network = try NetworkDescription(
    nodes: [.init(id: "A", saes: ["SAE_A"]), .init(id: "B", saes: ["SAE_B"])],
    links: [.init(id: "A-B", from: "A", to: "B", preset: "paper-120km", lengthKm: 120)])
/// Process CPU time (all threads: GRDB and the actor may run on other threads than main).
struct CPUClock {
    var now: Duration {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}
let clock = CPUClock()
var sink = 0
for size in poolSizes {
    let pool = try makeStore(.linkPool(node: "A", link: "A-B"), "pads \(size)")
    try pool.insert(keys(size, "pads \(size)"))
    var padTimes: [Duration] = []
    for _ in 0..<iterations {
        let start = clock.now
        sink &+= Int(try takePad(pool, sizeBits: 256)[0])
        padTimes.append(clock.now - start)
    }
    let relays = try KeyRelayNetwork(network: network, makeStore: { try makeStore($0, "relays \(size)") })
    try await relays.deposit(keys(size, "relays \(size)"), onLink: "A-B")
    var relayTimes: [Duration] = []
    for _ in 0..<iterations {
        let start = clock.now
        sink &+= try await relays.relay(from: "A", to: "B", sizeBits: 256).consumedBits[0]
        relayTimes.append(clock.now - start)
    }
    print("\(kind) pool \(size) keys: takePad \(describe(padTimes)); relay \(describe(relayTimes))")
}
print("(checksum \(sink))")
SWIFT
cd "$work"
# shellcheck disable=SC2086
swift build -c release $flag >/dev/null
echo "commit $(git -C "$root" rev-parse --short "$commit")${flag:+ (pad body before oldestKeys)}"
.build/release/RelayBench memory 200 1000 10000 100000
.build/release/RelayBench sqlite 30 1000 10000 100000
