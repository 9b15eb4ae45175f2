// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-discovery",
    // `Synchronization.Mutex` needs the Swift 6 runtime: macOS 15 / iOS 18 and friends. Linux has no floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestDiscovery", targets: ["GrestDiscovery"]),
        .library(name: "GrestDiscoveryEtcd", targets: ["GrestDiscoveryEtcd"]),
        .library(name: "GrestDiscoveryIntegration", targets: ["GrestDiscoveryIntegration"]),
        .library(name: "GrestDiscoveryLocal", targets: ["GrestDiscoveryLocal"]),
        .executable(name: "grest-discovery", targets: ["grest-discovery"]),
        .executable(name: "grest-discovery-bench", targets: ["grest-discovery-bench"]),
    ],
    dependencies: [
        .package(path: "../Schema"),
        .package(path: "../Http"),
        .package(path: "../WebSocket"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // Types, the DiscoveryClient protocol, static / Kubernetes DNS backends and decorators. No dependencies.
        .target(name: "GrestDiscovery"),
        // etcd v3 through its JSON gateway: leases, keep-alive, watch. Foundation (URLSession) and swift-service-lifecycle.
        .target(
            name: "GrestDiscoveryEtcd",
            dependencies: ["GrestDiscovery", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // The registration Service for an HTTPServer and the `discovery:` client conveniences.
        .target(
            name: "GrestDiscoveryIntegration",
            dependencies: [
                "GrestDiscovery",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "GrestWebSocketTransport", package: "WebSocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The development router: an HTTP reverse proxy on loopback over an InMemoryDiscovery route table.
        .target(
            name: "GrestDiscoveryLocal",
            dependencies: [
                "GrestDiscovery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GrestWebSocketTransport", package: "WebSocket"),
            ]
        ),
        // The standalone router (grest-ts `discovery-local` bin).
        .executableTarget(
            name: "grest-discovery",
            dependencies: [
                "GrestDiscoveryLocal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // `make bench-discovery`: resolve() latency and the per-call resolution cost in the typed client.
        .executableTarget(
            name: "grest-discovery-bench",
            dependencies: [
                "GrestDiscovery", "GrestDiscoveryEtcd", "GrestDiscoveryIntegration", "GrestDiscoveryLocal",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestHTTP", package: "Http"),
            ]
        ),
        .testTarget(name: "GrestDiscoveryTests", dependencies: ["GrestDiscovery"]),
        .testTarget(name: "GrestDiscoveryEtcdTests", dependencies: ["GrestDiscovery", "GrestDiscoveryEtcd"]),
        .testTarget(
            name: "GrestDiscoveryIntegrationTests",
            dependencies: [
                "GrestDiscovery", "GrestDiscoveryIntegration",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GrestDiscoveryLocalTests",
            dependencies: [
                "GrestDiscovery", "GrestDiscoveryLocal", "GrestDiscoveryIntegration",
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "GrestWebSocketTransport", package: "WebSocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
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
