// The bare-NIO peer for `make bench-ws`: the floor any SwiftNIO WebSocket server stands on. NIO's HTTP/1 upgrade and
// NIOWebSocket's frame codec + NIOWebSocketFrameAggregator, then one synchronous ChannelInboundHandler that echoes
// each message on the event loop (no async sequence, no task, no allocation beyond NIO's own). Text messages are
// UTF-8 validated like every other server's; pings are answered, close is echoed. No permessage-deflate (NIO has
// none), so it only runs the deflate-off rows.
//
//   nio-ws-echo [--host 127.0.0.1] [--port 0] [--threads N]     prints "listening on HOST:PORT" once bound
import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct NIOWSEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nio-ws-echo",
        abstract: "Bare SwiftNIO WebSocket echo server (any path, no deflate): the floor for bench-ws."
    )

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free one. The bound port is printed as `listening on HOST:PORT`.")
    var port = 9003

    @Option(help: "Event-loop threads (default: one per core, like MultiThreadedEventLoopGroup.singleton).")
    var threads = System.coreCount

    @Option(help: "Largest inbound frame and message, in bytes.")
    var maxMessageSize = 1 << 20

    @Flag(help: "Accepted for symmetry with the other echo servers (bare NIO never negotiates deflate).")
    var noDeflate = false

    func run() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
        let maxSize = self.maxMessageSize
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maxSize,
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 0,
                            maxAccumulatedFrameCount: 1 << 16,
                            maxAccumulatedFrameSize: maxSize
                        ),
                        EchoHandler()
                    )
                }
            }
        )
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
                )
            }
            .bind(host: self.host, port: self.port)
            .wait()
        var line = Array("listening on \(self.host):\(channel.localAddress?.port ?? 0)\n".utf8)
        _ = line.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
        try channel.closeFuture.wait()
    }
}

/// Echoes whole messages (the aggregator has unmasked and joined the fragments), answers pings, echoes close.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var isClosing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        let payload = frame.unmaskedData
        switch frame.opcode {
        case .text:
            let isValid = payload.withUnsafeReadableBytes { String(validating: $0, as: UTF8.self) != nil }
            guard isValid else { return self.close(context: context, code: .dataInconsistentWithMessage) }
            self.send(context: context, opcode: .text, payload)
        case .binary:
            self.send(context: context, opcode: .binary, payload)
        case .ping:
            self.send(context: context, opcode: .pong, payload)
        case .connectionClose:
            guard !self.isClosing else { return context.close(promise: nil) }
            self.isClosing = true
            context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    private func send(context: ChannelHandlerContext, opcode: WebSocketOpcode, _ payload: ByteBuffer) {
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: opcode, data: payload)), promise: nil)
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        self.isClosing = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
