// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-schema-benchmarks",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .executable(name: "grest-schema-bench", targets: ["SchemaBench"])
    ],
    dependencies: [
        .package(path: "../../Packages/Schema")
    ],
    targets: [
        .executableTarget(
            name: "SchemaBench",
            dependencies: [.product(name: "GrestSchema", package: "Schema")],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        )
    ],
    swiftLanguageModes: [.v6]
)
