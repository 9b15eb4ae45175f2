// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-metrics",
    // `Synchronization` (Atomic, Mutex) needs the Swift 6 runtime: macOS 15 / iOS 18 and friends. Linux has no floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestMetrics", targets: ["GrestMetrics"]),
        .library(name: "GrestMetricsTesting", targets: ["GrestMetricsTesting"]),
        .library(name: "GrestMetricsHTTP", targets: ["GrestMetricsHTTP"]),
    ],
    dependencies: [
        .package(path: "../Schema"),
        .package(path: "../Context"),
        .package(path: "../Http"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    ],
    targets: [
        // Registry, declared metrics, swift-metrics backend, Prometheus/OpenMetrics/JSON writers. Only swift-metrics.
        .target(
            name: "GrestMetrics",
            dependencies: [.product(name: "CoreMetrics", package: "swift-metrics")]
        ),
        // Snapshot + delta assertions for tests (GrestTestKit builds on them).
        .target(name: "GrestMetricsTesting", dependencies: ["GrestMetrics"]),
        // `server.exposeMetrics(...)` on GrestHTTP's HTTPServer.
        .target(
            name: "GrestMetricsHTTP",
            dependencies: [
                "GrestMetrics",
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GrestMetricsTests",
            dependencies: [
                "GrestMetrics", "GrestMetricsTesting", "GrestMetricsHTTP",
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
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
