// swift-tools-version: 6.0
import PackageDescription

// `make bench-rpc`: the typed socket RPC round trip (ChatApi.sendMessage: parse, validate, handler, encode the
// `s`) against a raw echo of the same bytes on the same transport, measured in one run by one load client.
let package = Package(
    name: "grest-rpc-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "grest-rpc-bench", targets: ["grest-rpc-bench"])
    ],
    dependencies: [
        .package(path: "../../Packages/Schema"),
        .package(path: "../../Packages/Http"),
        .package(path: "../../Packages/WebSocket"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "grest-rpc-bench",
            dependencies: [
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestWebSocket", package: "WebSocket"),
                .product(name: "GrestWebSocketClient", package: "WebSocket"),
                .product(name: "GrestWebSocketTransport", package: "WebSocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
