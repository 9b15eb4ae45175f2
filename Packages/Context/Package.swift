// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "grest-context",
    // `Synchronization.Mutex` needs the Swift 6 runtime: macOS 15 / iOS 18 and friends. Linux has no floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestContext", targets: ["GrestContext"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.5.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "GrestContext",
            dependencies: [
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GrestContextTests",
            dependencies: ["GrestContext"]
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
