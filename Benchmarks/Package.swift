// swift-tools-version: 6.2
// The benchmark suite (ordo-one/benchmark) of QKDKit's hot paths, a package of its own so that
// the root package's `swift build` and `swift test` neither build nor resolve it.
// Run from this directory: `swift package benchmark` (see BENCHMARKS.md).
import PackageDescription

let package = Package(
    name: "QKDKitBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "QKDKit", path: ".."),
        // Only the MallocInterposer trait: the default traits would also enable
        // RuntimeInterposer, whose package is not in the local mirror; no jemalloc is needed.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "QKDBenchmarks",
            dependencies: [
                .product(name: "QKDKit", package: "QKDKit"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/QKDBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
