// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "grest-discovery",
    // `Synchronization.Mutex` needs the Swift 6 runtime: macOS 15 / iOS 18 and friends. Linux has no floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestDiscovery", targets: ["GrestDiscovery"]),
        .library(name: "GrestDiscoveryEtcd", targets: ["GrestDiscoveryEtcd"]),
    ],
    targets: [
        // Types, the DiscoveryClient protocol, static / Kubernetes DNS backends and decorators. No dependencies.
        .target(name: "GrestDiscovery"),
        // etcd v3 through its JSON gateway: leases, keep-alive, watch. Foundation (URLSession) only.
        .target(name: "GrestDiscoveryEtcd", dependencies: ["GrestDiscovery"]),
        .testTarget(name: "GrestDiscoveryTests", dependencies: ["GrestDiscovery"]),
        .testTarget(name: "GrestDiscoveryEtcdTests", dependencies: ["GrestDiscovery", "GrestDiscoveryEtcd"]),
    ],
    swiftLanguageModes: [.v6]
)
