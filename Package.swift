// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "QKDKit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "qkd", targets: ["qkd"]),
        .library(name: "QKDKit", targets: ["QKDNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        .target(name: "CPackedBits"),
        .target(name: "QKDCore", dependencies: ["CPackedBits"]),
        .target(name: "Photonics", dependencies: ["QKDCore"]),
        .target(name: "Security", dependencies: ["QKDCore"]),
        .target(name: "CGF2"),
        .target(name: "CLDPC"),
        .target(name: "Distillation", dependencies: ["QKDCore", "Security", "CGF2", "CLDPC", "CPackedBits"]),
        .target(
            name: "LinkProtocol",
            dependencies: [
                "QKDCore", "Distillation",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KeyManagement",
            dependencies: ["QKDCore", "LinkProtocol", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "KeyManagementServer",
            dependencies: [
                "QKDCore", "KeyManagement", "KeyRelay",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("OpenAPI")]
        ),
        .target(
            name: "KeyRelay",
            dependencies: ["QKDCore", "KeyManagement", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "KeyManagementPostgres",
            dependencies: [
                "QKDCore", "KeyManagement",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "QKDNode",
            dependencies: [
                "QKDCore", "Photonics", "Security", "Distillation", "LinkProtocol", "KeyManagement",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Presets")]
        ),
        .executableTarget(
            name: "qkd",
            dependencies: [
                "QKDNode", "KeyManagementServer", "KeyManagementPostgres", "KeyRelay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "QKDCoreTests", dependencies: ["QKDCore"]),
        .testTarget(name: "PhotonicsTests", dependencies: ["Photonics", "Security"]),
        .testTarget(name: "SecurityTests", dependencies: ["Security"]),
        .testTarget(name: "DistillationTests", dependencies: ["Distillation"]),
        .testTarget(name: "LinkProtocolTests", dependencies: ["LinkProtocol", "QKDCore"]),
        .testTarget(
            name: "KeyManagementTests",
            dependencies: ["KeyManagement", "KeyManagementPostgres", "QKDCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "KeyRelayTests", dependencies: ["KeyRelay", "KeyManagement", "QKDCore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "QKDNodeTests", dependencies: ["QKDNode", "Security", "KeyManagement"]),
        .testTarget(
            name: "KeyManagementServerTests",
            dependencies: [
                "KeyManagementServer", "KeyManagement", "KeyManagementPostgres", "KeyRelay", "QKDCore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "qkdTests", dependencies: ["qkd", "KeyManagement", "LinkProtocol", "QKDCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),
    ],
    swiftLanguageModes: [.v6]
)
