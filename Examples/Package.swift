// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-examples",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .executable(name: "grest-chat-server", targets: ["ChatServer"]),
        .executable(name: "grest-chat-client", targets: ["ChatClient"]),
        .executable(name: "grest-schema-demo", targets: ["SchemaDemo"]),
        .library(name: "GrestBroadcastPostgres", targets: ["GrestBroadcastPostgres"]),
    ],
    dependencies: [
        .package(path: "../Packages/Schema"),
        .package(path: "../Packages/Context"),
        .package(path: "../Packages/Http"),
        .package(path: "../Packages/WebSocket"),
        .package(path: "../Packages/Metrics"),
        .package(path: "../Packages/Discovery"),
        // Test-only: ChatTestKitTests runs the chat through GrestTestKit's harness.
        .package(path: "../Packages/TestKit"),
        .package(url: "https://github.com/pointfreeco/swift-tagged.git", from: "0.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        // Cluster mode: PostgreSQL history and cross-instance socket fan-out (GrestBroadcastPostgres).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Test-only: the tests' child processes (PostgreSQL, the Prometheus parser) spawn without inherited descriptors
        // and are awaited without blocking a thread.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
    ],
    targets: [
        // GrestWebSocket's broadcast backend on PostgreSQL LISTEN/NOTIFY. It lives here, not in Packages/WebSocket, so an
        // adopter of the socket package never resolves postgres-nio; an app copies it or depends on this package.
        .target(
            name: "GrestBroadcastPostgres",
            dependencies: [
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The seed README's chat: ChatApi contract, BearerAuthMiddleware (HTTP + socket), ChatService, HTTP API.
        .target(
            name: "ChatExample",
            dependencies: [
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestMetrics", package: "Metrics"),
                .product(name: "GrestMetricsHTTP", package: "Metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tagged", package: "swift-tagged"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                "GrestBroadcastPostgres",
            ],
            resources: [.copy("Public")]
        ),
        .executableTarget(
            name: "ChatServer",
            dependencies: [
                "ChatExample",
                "GrestBroadcastPostgres",
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GrestMetrics", package: "Metrics"),
                .product(name: "GrestDiscoveryLocal", package: "Discovery"),
                .product(name: "GrestDiscoveryIntegration", package: "Discovery"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ChatClient",
            dependencies: [
                "ChatExample",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "Tagged", package: "swift-tagged"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "SchemaDemo",
            dependencies: [
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "Tagged", package: "swift-tagged"),
            ]
        ),
        .testTarget(
            name: "ChatExampleTests",
            dependencies: [
                "ChatExample",
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "GrestWebSocketTransport", package: "WebSocket"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestMetrics", package: "Metrics"),
                .product(name: "GrestTestKit", package: "TestKit"),
                .product(name: "Tagged", package: "swift-tagged"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                "GrestBroadcastPostgres",
            ]
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
