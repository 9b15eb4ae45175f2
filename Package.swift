// swift-tools-version: 6.2
// Development manifest: every package's targets in one build graph, so `make test` compiles SwiftNIO and
// the other dependencies once. It also offers every library as a product, for teams that take the whole family
// by one URL. Each package under Packages/ keeps its own Package.swift for adopters of one package (released as
// its own repository by Scripts/release), and `make check-standalone` proves each one builds alone. This file is
// the source of truth for dependency floors: Scripts/check-versions fails when another manifest drifts from it.
import PackageDescription

let platforms: [SupportedPlatform] = [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)]

let package = Package(
    name: "grest-swift",
    platforms: platforms,
    products: [
        .library(name: "GrestSchema", targets: ["GrestSchema"]),
        .library(name: "GrestContext", targets: ["GrestContext"]),
        .library(name: "GrestMiddleware", targets: ["GrestMiddleware"]),
        .library(name: "GrestHTTP", targets: ["GrestHTTP"]),
        .library(name: "GrestWebSocketTransport", targets: ["GrestWebSocketTransport"]),
        .library(name: "WebSocketCompression", targets: ["WebSocketCompression"]),
        .library(name: "GrestWebSocketCore", targets: ["GrestWebSocketCore"]),
        .library(name: "GrestWebSocket", targets: ["GrestWebSocket"]),
        .library(name: "GrestWebSocketClient", targets: ["GrestWebSocketClient"]),
        .library(name: "GrestMetrics", targets: ["GrestMetrics"]),
        .library(name: "GrestMetricsTesting", targets: ["GrestMetricsTesting"]),
        .library(name: "GrestMetricsHTTP", targets: ["GrestMetricsHTTP"]),
        .library(name: "GrestDiscovery", targets: ["GrestDiscovery"]),
        .library(name: "GrestDiscoveryEtcd", targets: ["GrestDiscoveryEtcd"]),
        .library(name: "GrestDiscoveryIntegration", targets: ["GrestDiscoveryIntegration"]),
        .library(name: "GrestTestKit", targets: ["GrestTestKit"]),
        .library(name: "GrestDiscoveryLocal", targets: ["GrestDiscoveryLocal"]),
        .executable(name: "grest-discovery", targets: ["grest-discovery"]),
    ],
    dependencies: [
        .package(url: "https://github.com/pointfreeco/swift-tagged.git", from: "0.10.0"),
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // Test-only (PeerProcesses): spawns the third-party peers; Foundation's Process crashes with many fds open.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        // The chat example's history (Examples/Sources/ChatExample) and its server executable.
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        // The chat example's cluster mode: PostgreSQL history and cross-instance fan-out (Examples/Sources/GrestBroadcastPostgres).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // Packages/Schema
        .target(
            name: "GrestSchema",
            dependencies: [.product(name: "Tagged", package: "swift-tagged")],
            path: "Packages/Schema/Sources/GrestSchema"
        ),
        .testTarget(
            name: "GrestSchemaTests",
            dependencies: ["GrestSchema", .product(name: "Tagged", package: "swift-tagged")],
            path: "Packages/Schema/Tests/GrestSchemaTests",
            resources: [.copy("Resources/JSONTestSuite")]
        ),
        // Packages/Context
        .target(
            name: "GrestContext",
            dependencies: [
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Packages/Context/Sources/GrestContext"
        ),
        .testTarget(
            name: "GrestContextTests",
            dependencies: ["GrestContext"],
            path: "Packages/Context/Tests/GrestContextTests"
        ),
        // Packages/Http
        .target(
            name: "GrestMiddleware",
            dependencies: ["GrestSchema", "GrestContext", .product(name: "NIOHTTP1", package: "swift-nio")],
            path: "Packages/Http/Sources/GrestMiddleware"
        ),
        .target(
            name: "GrestHTTP",
            dependencies: [
                "GrestMiddleware", "GrestSchema", "GrestContext",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Packages/Http/Sources/GrestHTTP"
        ),
        .testTarget(
            name: "GrestHTTPTests",
            dependencies: [
                "GrestHTTP", "GrestSchema", "GrestContext",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Root graph only (Packages/Http cannot depend on TestKit, which depends on it): files that use it
                // are wrapped in `#if canImport(GrestTestKit)`.
                "GrestTestKit",
            ],
            path: "Packages/Http/Tests/GrestHTTPTests"
        ),
        // Packages/WebSocket
        .target(
            name: "GrestWebSocketTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Packages/WebSocket/Sources/GrestWebSocketTransport"
        ),
        .target(
            name: "CGrestZlib",
            path: "Packages/WebSocket/Sources/CGrestZlib",
            linkerSettings: [.linkedLibrary("z")]
        ),
        .target(
            name: "WebSocketCompression",
            dependencies: ["CGrestZlib", "GrestWebSocketTransport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Packages/WebSocket/Sources/WebSocketCompression"
        ),
        .target(
            name: "GrestWebSocketCore",
            dependencies: [
                "GrestWebSocketTransport", "GrestSchema", "GrestContext", "GrestMiddleware",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Packages/WebSocket/Sources/GrestWebSocketCore",
            exclude: ["PROTOCOL-NOTES.md"]
        ),
        .target(
            name: "GrestWebSocket",
            dependencies: [
                "GrestWebSocketCore", "GrestWebSocketTransport", "WebSocketCompression", "GrestSchema", "GrestContext", "GrestHTTP",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Packages/WebSocket/Sources/GrestWebSocket"
        ),
        .target(
            name: "GrestWebSocketClient",
            dependencies: [
                "GrestWebSocketCore", "GrestWebSocketTransport", "WebSocketCompression", "GrestSchema", "GrestContext", "GrestMiddleware",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Packages/WebSocket/Sources/GrestWebSocketClient"
        ),
        .testTarget(
            name: "WebSocketCompressionTests",
            dependencies: ["WebSocketCompression"],
            path: "Packages/WebSocket/Tests/WebSocketCompressionTests"
        ),
        .testTarget(
            name: "GrestWebSocketTransportTests",
            dependencies: [
                "GrestWebSocketTransport", "WebSocketCompression",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "PeerProcesses",
            ],
            path: "Packages/WebSocket/Tests/GrestWebSocketTransportTests"
        ),
        .target(
            name: "PeerProcesses",
            dependencies: [.product(name: "Subprocess", package: "swift-subprocess")],
            path: "Packages/WebSocket/Tests/PeerProcesses"
        ),
        .testTarget(
            name: "GrestWebSocketTests",
            dependencies: [
                "GrestWebSocket", "GrestWebSocketCore", "GrestWebSocketClient", "GrestWebSocketTransport", "WebSocketCompression",
                "GrestSchema", "GrestHTTP", "GrestContext",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                "PeerProcesses",
                // Root graph only, like GrestHTTPTests: files that use it are wrapped in `#if canImport(GrestTestKit)`.
                "GrestTestKit",
            ],
            path: "Packages/WebSocket/Tests/GrestWebSocketTests"
        ),
        // Packages/Metrics
        .target(
            name: "GrestMetrics",
            dependencies: [.product(name: "CoreMetrics", package: "swift-metrics")],
            path: "Packages/Metrics/Sources/GrestMetrics"
        ),
        .target(
            name: "GrestMetricsTesting",
            dependencies: ["GrestMetrics"],
            path: "Packages/Metrics/Sources/GrestMetricsTesting"
        ),
        .target(
            name: "GrestMetricsHTTP",
            dependencies: ["GrestMetrics", "GrestHTTP", "GrestSchema", "GrestContext", .product(name: "NIOHTTP1", package: "swift-nio")],
            path: "Packages/Metrics/Sources/GrestMetricsHTTP"
        ),
        .testTarget(
            name: "GrestMetricsTests",
            dependencies: [
                "GrestMetrics", "GrestMetricsTesting", "GrestMetricsHTTP", "GrestHTTP", "GrestSchema",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Packages/Metrics/Tests/GrestMetricsTests"
        ),
        // Packages/Discovery
        .target(name: "GrestDiscovery", path: "Packages/Discovery/Sources/GrestDiscovery"),
        .target(
            name: "GrestDiscoveryEtcd",
            dependencies: ["GrestDiscovery", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Packages/Discovery/Sources/GrestDiscoveryEtcd"
        ),
        .target(
            name: "GrestDiscoveryIntegration",
            dependencies: [
                "GrestDiscovery", "GrestSchema", "GrestHTTP", "GrestWebSocket", "GrestWebSocketClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Packages/Discovery/Sources/GrestDiscoveryIntegration"
        ),
        .target(
            name: "GrestDiscoveryLocal",
            dependencies: [
                "GrestDiscovery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "GrestWebSocketTransport",
            ],
            path: "Packages/Discovery/Sources/GrestDiscoveryLocal"
        ),
        .executableTarget(
            name: "grest-discovery",
            dependencies: [
                "GrestDiscoveryLocal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Packages/Discovery/Sources/grest-discovery"
        ),
        .testTarget(name: "GrestDiscoveryTests", dependencies: ["GrestDiscovery"], path: "Packages/Discovery/Tests/GrestDiscoveryTests"),
        .testTarget(
            name: "GrestDiscoveryEtcdTests",
            dependencies: ["GrestDiscovery", "GrestDiscoveryEtcd"],
            path: "Packages/Discovery/Tests/GrestDiscoveryEtcdTests"
        ),
        .testTarget(
            name: "GrestDiscoveryIntegrationTests",
            dependencies: [
                "GrestDiscovery", "GrestDiscoveryIntegration", "GrestSchema", "GrestHTTP", "GrestWebSocket", "GrestWebSocketClient",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Packages/Discovery/Tests/GrestDiscoveryIntegrationTests"
        ),
        .testTarget(
            name: "GrestDiscoveryLocalTests",
            dependencies: [
                "GrestDiscovery", "GrestDiscoveryLocal", "GrestDiscoveryIntegration", "GrestHTTP", "GrestSchema", "GrestWebSocket",
                "GrestWebSocketClient", "GrestWebSocketTransport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Packages/Discovery/Tests/GrestDiscoveryLocalTests"
        ),
        // Packages/TestKit
        .target(
            name: "GrestTestKit",
            dependencies: [
                "GrestSchema", "GrestContext", "GrestHTTP", "GrestWebSocket", "GrestWebSocketClient", "GrestDiscovery",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Packages/TestKit/Sources/GrestTestKit"
        ),
        .testTarget(
            name: "GrestTestKitTests",
            dependencies: [
                "GrestTestKit", "GrestSchema", "GrestContext", "GrestHTTP", "GrestWebSocket", "GrestWebSocketClient", "GrestDiscovery",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Packages/TestKit/Tests/GrestTestKitTests"
        ),
        // The PostgreSQL broadcast backend (LISTEN/NOTIFY), in Examples so no package of the family resolves postgres-nio.
        .target(
            name: "GrestBroadcastPostgres",
            dependencies: [
                "GrestWebSocket",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/Sources/GrestBroadcastPostgres"
        ),
        // The chat example's library (Examples/Sources/ChatExample), built and tested with the packages.
        .target(
            name: "ChatExample",
            dependencies: [
                "GrestWebSocket", "GrestHTTP", "GrestSchema", "GrestContext", "GrestMetrics", "GrestMetricsHTTP", "GrestBroadcastPostgres",
                .product(name: "Tagged", package: "swift-tagged"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/Sources/ChatExample",
            resources: [.copy("Public")]
        ),
        // `grest-chat-server` in the root graph too, so the browser and wire tests run the server `make test` built.
        .executableTarget(
            name: "ChatServer",
            dependencies: [
                "ChatExample", "GrestHTTP", "GrestMetrics", "GrestDiscoveryLocal", "GrestDiscoveryIntegration", "GrestWebSocket",
                "GrestBroadcastPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/Sources/ChatServer"
        ),
        .testTarget(
            name: "ChatExampleTests",
            dependencies: [
                "ChatExample", "GrestWebSocket", "GrestWebSocketClient", "GrestWebSocketTransport", "GrestHTTP", "GrestSchema", "GrestMetrics",
                "GrestTestKit",
                "GrestBroadcastPostgres",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tagged", package: "swift-tagged"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            path: "Examples/Tests/ChatExampleTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The upcoming features Hummingbird and SwiftNIO build with: `public import` means something (InternalImportsByDefault),
// a member is visible only where its module is imported (MemberImportVisibility), existentials are spelled `any`.
for target in package.targets where target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
