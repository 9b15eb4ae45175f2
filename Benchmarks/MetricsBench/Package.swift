// swift-tools-version: 6.0
import PackageDescription

// `make bench-metrics`: GrestMetrics against swift-prometheus' own PrometheusCollectorRegistry, in one run.
let package = Package(
    name: "grest-metrics-benchmarks",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .executable(name: "grest-metrics-bench", targets: ["MetricsBench"])
    ],
    dependencies: [
        .package(path: "../../Packages/Metrics"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "MetricsBench",
            dependencies: [
                .product(name: "GrestMetrics", package: "Metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
