// swift-tools-version: 6.0
import PackageDescription

// The peer for `make bench-http`: the same two routes as GrestHTTP's grest-http-bench-server, on Hummingbird 2.
// Kept in its own package so Hummingbird never becomes a dependency of GrestHTTP.
let package = Package(
    name: "grest-http-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hummingbird-bench-server", targets: ["hummingbird-bench-server"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "hummingbird-bench-server",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ],
    swiftLanguageModes: [.v6]
)
