// swift-tools-version: 6.2
import PackageDescription

// The peers and load clients for `make bench-ws` (Scripts/bench-ws.sh).
// Kept in its own package so Hummingbird and swift-websocket never become dependencies of Packages/WebSocket.
// (The directory is named WebSocketBench, not WebSocket: a path dependency's identity is its directory name.)
let package = Package(
    name: "grest-websocket-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hummingbird-ws-echo", targets: ["hummingbird-ws-echo"]),
        .executable(name: "ws-load", targets: ["ws-load"]),
        .executable(name: "ws-load-raw", targets: ["ws-load-raw"]),
        .executable(name: "ws-idle", targets: ["ws-idle"]),
        .executable(name: "nio-ws-echo", targets: ["nio-ws-echo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Hummingbird 2 echo server: HummingbirdWebSocket, permessage-deflate via HummingbirdWSCompression, UTF-8 validation on.
        .executableTarget(
            name: "hummingbird-ws-echo",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The bare-NIO floor: NIO's upgrader, frame codec and aggregator, one synchronous echo handler, no deflate.
        .executableTarget(
            name: "nio-ws-echo",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The previous load client (LOAD_CLIENT=swift-websocket), on swift-websocket's WSClient (+ WSCompression).
        .executableTarget(
            name: "ws-load",
            dependencies: [
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "WSCompression", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                "WSBenchPayload",
            ]
        ),
        // The default load client of bench-ws: raw TCP on one NIO event loop, its own upgrade request and a minimal
        // frame handler, pre-built masked frames, no allocation per message (wrk-like: much lighter than the servers).
        .executableTarget(
            name: "ws-load-raw",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                "WSBenchPayload",
                "CBenchZlib",
            ]
        ),
        // The payloads both load clients send (same bytes for every server and either client), and their shared
        // result merging and JSON line.
        .target(
            name: "WSBenchPayload",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // System zlib (link "z"): ws-load-raw compresses each payload once at startup and checks the first echo.
        .systemLibrary(name: "CBenchZlib"),
        // Opens N idle WebSocket connections on raw NIO, so the server's RSS per connection can be measured.
        .executableTarget(
            name: "ws-idle",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
