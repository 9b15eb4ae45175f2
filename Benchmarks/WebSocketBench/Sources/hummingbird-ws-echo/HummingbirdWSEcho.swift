// The Hummingbird 2 peer for `make bench-ws`: a WebSocket echo server on any path, written the way a Hummingbird
// app would: HummingbirdWebSocket's HTTP/1 upgrade, permessage-deflate from HummingbirdWSCompression (unless
// --no-deflate), UTF-8 validation on, auto-ping off. Every text and binary message is sent back as it came.
//
//   hummingbird-ws-echo [--host 127.0.0.1] [--port 0] [--no-deflate]     prints "listening on HOST:PORT" once bound
import ArgumentParser
import Hummingbird
import HummingbirdWSCompression
import HummingbirdWebSocket
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct HummingbirdWSEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hummingbird-ws-echo",
        abstract: "Hummingbird 2 WebSocket echo server (any path), with permessage-deflate unless --no-deflate."
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free one. The bound port is printed as `listening on HOST:PORT`.")
    var port = 9002

    @Flag(help: "Do not negotiate permessage-deflate.")
    var noDeflate = false

    @Option(help: "Largest inbound frame and message, in bytes (Hummingbird's default, 16 KiB, is too tight for 16 KiB messages).")
    var maxMessageSize = 1 << 20

    func run() async throws {
        let maxSize = self.maxMessageSize
        let ws = WebSocketServerConfiguration(
            maxFrameSize: maxSize,
            extensions: self.noDeflate ? [] : [.perMessageDeflate(maxDecompressedFrameSize: maxSize)],
            autoPing: .disabled,
            validateUTF8: true
        )
        var logger = Logger(label: "hummingbird-ws-echo")
        logger.logLevel = .warning
        let host = self.host
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade(configuration: .init(ws: ws)) { _, _, _ in
                .upgrade([:]) { inbound, outbound, _ in
                    for try await message in inbound.messages(maxSize: maxSize) {
                        switch message {
                        case .text(let text): try await outbound.write(.text(text))
                        case .binary(let buffer): try await outbound.write(.binary(buffer))
                        }
                    }
                }
            },
            configuration: .init(address: .hostname(host, port: self.port)),
            onServerRunning: { channel in
                announce("listening on \(host):\(channel.localAddress?.port ?? 0)\n")
            },
            logger: logger
        )
        try await app.runService()
    }
}

/// Writes straight to fd 1, unbuffered, so the benchmark script sees the port at once.
func announce(_ line: String) {
    var bytes = Array(line.utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}
