// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-examples",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .executable(name: "grest-schema-demo", targets: ["SchemaDemo"])
    ],
    dependencies: [
        .package(path: "../Packages/Schema"),
        .package(url: "https://github.com/pointfreeco/swift-tagged.git", from: "0.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "SchemaDemo",
            dependencies: [
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "Tagged", package: "swift-tagged"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
