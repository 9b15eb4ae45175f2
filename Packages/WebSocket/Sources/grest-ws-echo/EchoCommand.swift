import ArgumentParser
import GrestWebSocketTransport
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals
import WebSocketCompression

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Echoes every text and binary message back, on any path: the peer for Autobahn and the benchmarks.
@main
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grest-ws-echo",
        abstract: "WebSocket echo server (text and binary, any path), with permessage-deflate unless --no-deflate."
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free one. The bound port is printed as `listening on HOST:PORT`.")
    var port = 9001

    @Flag(help: "Do not negotiate permessage-deflate.")
    var noDeflate = false

    @Option(help: "Largest inbound message, in bytes.")
    var maxMessageSize = 16 << 20

    @Option(help: "Where the echo handler runs: event-loop (no thread hop per message) or global (Swift's global executor).")
    var handlerExecutor: HandlerExecutorName = .eventLoop

    enum HandlerExecutorName: String, ExpressibleByArgument {
        case eventLoop = "event-loop"
        case global
    }

    func run() async throws {
        var configuration = WebSocketConfiguration()
        configuration.maxMessageSize = self.maxMessageSize
        configuration.maxFrameSize = self.maxMessageSize
        if !self.noDeflate { configuration.compression = PerMessageDeflate() }

        let host = self.host
        let server = WebSocketServer(
            host: host,
            port: self.port,
            configuration: configuration,
            // The echo handler only awaits the connection, the case the event-loop executor is for.
            handlerExecutor: self.handlerExecutor == .eventLoop ? .eventLoop : .globalConcurrent
        ) { address in
            print("listening on \(host):\(address.port ?? 0)")
            fflush(nil)  // all streams: scripts read the port before the first connection
        } handler: { connection in
            for await message in connection.inbound {
                do { try await connection.send(message) } catch { break }
            }
        }
        var logger = Logger(label: "grest-ws-echo")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
