// swift-tools-version: 6.0
// Development manifest: every package's targets in one build graph, so `make test` compiles SwiftNIO and
// the other dependencies once. Each package under Packages/ keeps its own Package.swift for adopters, and
// `make check-standalone` proves each one builds alone.
import PackageDescription

let platforms: [SupportedPlatform] = [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)]

let package = Package(
    name: "grest-swift-dev",
    platforms: platforms,
    dependencies: [
        .package(url: "https://github.com/pointfreeco/swift-tagged.git", from: "0.10.0"),
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
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
            path: "Packages/Schema/Tests/GrestSchemaTests"
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
    ],
    swiftLanguageModes: [.v6]
)
