// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-schema",
    products: [
        .library(name: "GrestSchema", targets: ["GrestSchema"])
    ],
    dependencies: [
        .package(url: "https://github.com/pointfreeco/swift-tagged.git", from: "0.10.0")
    ],
    targets: [
        .target(
            name: "GrestSchema",
            dependencies: [.product(name: "Tagged", package: "swift-tagged")]
        ),
        .testTarget(
            name: "GrestSchemaTests",
            dependencies: ["GrestSchema"],
            resources: []
        ),
    ],
    swiftLanguageModes: [.v6]
)
