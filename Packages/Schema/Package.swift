// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-schema",
    // `Synchronization.Mutex` needs the Swift 6 runtime: macOS 15 / iOS 18 and friends. Linux has no floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
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
            dependencies: ["GrestSchema", .product(name: "Tagged", package: "swift-tagged")],
            resources: [.copy("Resources/JSONTestSuite")]
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
