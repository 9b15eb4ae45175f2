// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-testkit",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestTestKit", targets: ["GrestTestKit"])
    ],
    dependencies: [
        .package(path: "../Schema"),
        .package(path: "../Context"),
        .package(path: "../Http"),
        .package(path: "../WebSocket"),
        // GrestDiscovery only (no dependencies of its own): the environment's `discovery`, the harness's registry.
        .package(path: "../Discovery"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        // Harness, typed test calls, per-test mocks and spies, socket test clients, log capture.
        .target(
            name: "GrestTestKit",
            dependencies: [
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "GrestDiscovery", package: "Discovery"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "GrestTestKitTests",
            dependencies: [
                "GrestTestKit",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "GrestDiscovery", package: "Discovery"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
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
