import GrestDiscovery
import NIOCore
import NIOHTTP1
import NIOPosix

/// Proxies a WebSocket upgrade: the request goes upstream as bytes, and from then on both connections are spliced
/// byte for byte (the upstream's `101` included), so frames, extensions and close codes pass untouched.
enum WebSocketTunnel {
    static func open(downstream context: ChannelHandlerContext, head: HTTPRequestHead, target: ServiceRegistration) {
        var request = "\(head.method.rawValue) \(head.uri) HTTP/1.1\r\n"
        for (name, value) in head.headers where name.lowercased() != "host" { request += "\(name): \(value)\r\n" }
        request += "Host: \(target.host):\(target.port)\r\n\r\n"
        let requestBytes = request
        let downstream = NIOLoopBound(context, eventLoop: context.eventLoop)
        let downstreamChannel = context.channel
        let upstreamName = target.endpoint.url
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Splice(peer: downstreamChannel)) }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in
                let context = downstream.value
                switch result {
                case .failure(let error):
                    ProxyHandler.badGateway(context: context, upstream: upstreamName, reason: "\(error)", keepAlive: false)
                case .success(let upstream):
                    do {
                        try removeHTTPHandlers(context.pipeline.syncOperations)
                        try context.pipeline.syncOperations.addHandler(Splice(peer: upstream))
                    } catch {
                        upstream.close(promise: nil)
                        context.close(promise: nil)
                        return
                    }
                    upstream.writeAndFlush(ByteBuffer(string: requestBytes), promise: nil)
                }
            }
    }

    /// Downstream becomes a byte pipe: no HTTP parsing or encoding from here on.
    private static func removeHTTPHandlers(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        func remove<Handler: RemovableChannelHandler>(_ type: Handler.Type) {
            if let handler = try? pipeline.handler(type: type) { pipeline.removeHandler(handler, promise: nil) }
        }
        remove(HTTPResponseEncoder.self)
        remove(ByteToMessageHandler<HTTPRequestDecoder>.self)
        remove(HTTPServerPipelineHandler.self)
        remove(HTTPServerProtocolErrorHandler.self)
        remove(ProxyHandler.self)
        remove(HTTPServerUpgradeHandler.self)
        remove(NIOHTTPResponseHeadersValidator.self)
    }
}

/// Copies every byte read to `peer`; closes `peer` when this side closes.
///
/// Backpressure: while `peer` cannot take more bytes (its outbound buffer is above the high-water mark, e.g. a
/// client that stops reading), this side stops reading, so the sender's socket fills up and it slows down; the
/// router never buffers more than a water mark per direction. When `peer` drains, its `Splice` asks this side
/// to read again. Both channels live on one event loop.
final class Splice: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let peer: any Channel

    init(peer: any Channel) {
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer.write(unwrapInboundIn(data), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        peer.flush()
        context.fireChannelReadComplete()
    }

    /// The next read (autoRead asks after every read) is dropped while `peer` is full; `peer`'s handler asks again.
    func read(context: ChannelHandlerContext) {
        if peer.isWritable { context.read() }
    }

    /// This side drained: the peer may read again (its `read` above passes once this channel is writable).
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { peer.read() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
