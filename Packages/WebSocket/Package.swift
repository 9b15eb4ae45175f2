// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "grest-websocket",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GrestWebSocketTransport", targets: ["GrestWebSocketTransport"]),
        .library(name: "WebSocketCompression", targets: ["WebSocketCompression"]),
        .library(name: "GrestWebSocketCore", targets: ["GrestWebSocketCore"]),
        .library(name: "GrestWebSocket", targets: ["GrestWebSocket"]),
        .library(name: "GrestWebSocketClient", targets: ["GrestWebSocketClient"]),
        .executable(name: "grest-ws-echo", targets: ["grest-ws-echo"]),
        .executable(name: "grest-ws-autobahn-client", targets: ["grest-ws-autobahn-client"]),
    ],
    dependencies: [
        .package(path: "../Schema"),
        .package(path: "../Context"),
        .package(path: "../Http"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // Test-only (PeerProcesses): spawns the third-party peers; Foundation's Process crashes with many fds open.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
    ],
    targets: [
        // RFC 6455 transport: framing rules, close handshake, limits, backpressure, server upgrade, client. No zlib.
        .target(
            name: "GrestWebSocketTransport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // RFC 7692 permessage-deflate on system zlib; the only target that links libz.
        .target(
            name: "WebSocketCompression",
            dependencies: [
                "CGrestZlib",
                "GrestWebSocketTransport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The typed socket RPC layer over the grest-ts wire protocol, in three targets (PROTOCOL-NOTES.md).
        // The shared core: contracts and schemas, frame codec, pending requests, dispatch, heartbeat, metrics, broadcast,
        // the peer. Transport-neutral middleware and permissions come from GrestMiddleware: no GrestHTTP, no swift-crypto.
        .target(
            name: "GrestWebSocketCore",
            dependencies: [
                "GrestWebSocketTransport",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "GrestMiddleware", package: "Http"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["PROTOCOL-NOTES.md"]
        ),
        // The server side: sockets hosted on GrestHTTP's HTTPServer (upgrade, handshake, permission surfaces).
        // Re-exports the core; no swift-crypto.
        .target(
            name: "GrestWebSocket",
            dependencies: [
                "GrestWebSocketCore",
                "GrestWebSocketTransport",
                "WebSocketCompression",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The client side: SocketClient, reconnect, pool (swift-crypto for pool keys). Re-exports the core; no GrestHTTP.
        .target(
            name: "GrestWebSocketClient",
            dependencies: [
                "GrestWebSocketCore",
                "GrestWebSocketTransport",
                "WebSocketCompression",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "GrestMiddleware", package: "Http"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "GrestWebSocketTests",
            dependencies: [
                "GrestWebSocket", "GrestWebSocketCore", "GrestWebSocketClient", "GrestWebSocketTransport", "WebSocketCompression",
                .product(name: "GrestSchema", package: "Schema"),
                .product(name: "GrestHTTP", package: "Http"),
                .product(name: "GrestContext", package: "Context"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "PeerProcesses",
            ]
        ),
        // Test-only: python `websockets` / node `ws` peers as child processes, for both test targets' interop tests.
        .target(
            name: "PeerProcesses",
            dependencies: [.product(name: "Subprocess", package: "swift-subprocess")],
            path: "Tests/PeerProcesses"
        ),
        .target(
            name: "CGrestZlib",
            linkerSettings: [.linkedLibrary("z")]
        ),
        .executableTarget(
            name: "grest-ws-echo",
            dependencies: [
                "GrestWebSocketTransport",
                "WebSocketCompression",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "grest-ws-autobahn-client",
            dependencies: [
                "GrestWebSocketTransport",
                "WebSocketCompression",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WebSocketCompressionTests",
            dependencies: ["WebSocketCompression"]
        ),
        .testTarget(
            name: "GrestWebSocketTransportTests",
            dependencies: [
                "GrestWebSocketTransport",
                "WebSocketCompression",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "PeerProcesses",
            ]
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
