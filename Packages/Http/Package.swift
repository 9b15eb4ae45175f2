// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-http",
    // `Synchronization.Mutex` needs the Swift 6 runtime: macOS 15 / iOS 18 and friends. Linux has no floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestMiddleware", targets: ["GrestMiddleware"]),
        .library(name: "GrestHTTP", targets: ["GrestHTTP"]),
        .executable(name: "grest-http-bench-server", targets: ["grest-http-bench-server"]),
    ],
    dependencies: [
        .package(path: "../Schema"),
        .package(path: "../Context"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The transport-neutral layer: the `TransportMiddleware` protocol and chain, inbound/outbound request views,
        // bearer auth, the permission gate, registry and surfaces. No server, no client, no NIOPosix: a socket-only or
        // client-only adopter links this without the HTTP server.
        .target(
            name: "GrestMiddleware",
            dependencies: [
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Server, router, protocol-neutral upgrade dispatcher and typed client; re-exports GrestMiddleware. No Foundation,
        // no WebSocket: GrestWebSocket brings its own upgrade.
        .target(
            name: "GrestHTTP",
            dependencies: [
                "GrestMiddleware",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The GrestHTTP side of `make bench`: a JSON echo route and a GET route.
        .executableTarget(
            name: "grest-http-bench-server",
            dependencies: ["GrestHTTP", .product(name: "GrestSchema", package: "Schema")]
        ),
        .testTarget(
            name: "GrestHTTPTests",
            dependencies: [
                "GrestHTTP",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
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
