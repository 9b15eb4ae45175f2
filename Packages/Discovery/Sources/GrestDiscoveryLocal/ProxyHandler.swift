import GrestDiscovery
import NIOCore
import NIOHTTP1
import NIOPosix

/// One downstream connection of the router: collects a request, picks the upstream, relays the response.
/// NIO's pipeline handler (installed by `configureHTTPServerPipeline`) holds pipelined requests until each
/// response has ended, so one request is in flight per connection.
final class ProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    static let name = "grest.discovery.proxy"

    private let router: LocalDiscoveryRouter
    private var head: HTTPRequestHead?
    private var body: [ByteBuffer] = []
    /// Kept-alive upstream connections of this downstream connection, by `host:port`: requests are serialised per
    /// downstream connection, so each is idle whenever a new request arrives.
    private var upstreams: [String: (channel: any Channel, handler: UpstreamHandler)] = [:]

    init(router: LocalDiscoveryRouter) {
        self.router = router
    }

    func channelInactive(context: ChannelHandlerContext) {
        for upstream in upstreams.values { upstream.channel.close(promise: nil) }
        upstreams.removeAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        for upstream in upstreams.values { upstream.channel.close(promise: nil) }
        upstreams.removeAll()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(buffer)
        case .end:
            guard let head else { return }
            self.head = nil
            forward(context: context, head: head, body: body)
            body = []
        }
    }

    private func forward(context: ChannelHandlerContext, head: HTTPRequestHead, body: [ByteBuffer], tried: Set<String> = []) {
        let path = head.uri.prefix { $0 != "?" }
        if head.headers.contains(name: "upgrade") {
            guard let target = router.route(for: path, schemes: [.ws, .http]) else {
                Self.respond(context: context, status: .notFound, json: "{\"error\":\"No route for upgrade \(jsonEscaped(String(path)))\"}", keepAlive: false)
                return
            }
            WebSocketTunnel.open(downstream: context, head: head, target: target)
            return
        }
        guard let target = router.route(for: path, excluding: tried) else {
            if let last = tried.first {
                // Every replica refused the connection.
                Self.badGateway(context: context, upstream: "http://" + last, reason: "no replica accepted the connection", keepAlive: head.isKeepAlive)
                return
            }
            let prefixes = router.knownPrefixes.map { "\"\(jsonEscaped($0))\"" }.joined(separator: ",")
            let message = "No route for \(head.method.rawValue) \(path)! Did you forget to start a service? Known prefixes: \(router.knownPrefixes.joined(separator: ", "))"
            Self.respond(context: context, status: .notFound, json: "{\"error\":\"\(jsonEscaped(message))\",\"prefixes\":[\(prefixes)]}", keepAlive: head.isKeepAlive)
            return
        }
        var upstreamHead = head
        upstreamHead.version = .http1_1
        upstreamHead.headers.replaceOrAdd(name: "host", value: "\(target.host):\(target.port)")
        upstreamHead.headers.remove(name: "connection")
        let upstreamName = target.endpoint.url
        let key = target.endpoint.hostPort.description
        let exchange = UpstreamHandler.Exchange(
            downstream: context, request: upstreamHead, body: body, keepAlive: head.isKeepAlive, upstreamName: upstreamName)
        if let cached = upstreams[key], cached.channel.isActive {
            cached.handler.start(exchange, on: cached.channel)
            return
        }
        upstreams[key] = nil
        let loop = context.eventLoop
        let pending = NIOLoopBound((self, exchange, head, tried.union([key])), eventLoop: loop)
        let router = self.router
        let upstream = target.endpoint.hostPort
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
            .connect(host: target.host, port: target.port)
            .whenComplete { result in
                let (proxy, exchange, head, tried) = pending.value
                switch result {
                case .success(let channel):
                    guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                        channel.close(promise: nil)
                        return
                    }
                    proxy.upstreams[key] = (channel, handler)
                    channel.closeFuture.whenComplete { _ in
                        // Same event loop as the downstream connection: the loop-bound handler is safe to touch.
                        let proxy = pending.value.0
                        if proxy.upstreams[key]?.channel === channel { proxy.upstreams[key] = nil }
                    }
                    handler.start(exchange, on: channel)
                case .failure:
                    // Nothing was sent: eject the replica and retry the request on another one (502 when none is left).
                    router.eject(upstream)
                    proxy.forward(context: exchange.downstream, head: head, body: exchange.body, tried: tried)
                }
            }
    }

    static func badGateway(context: ChannelHandlerContext, upstream: String, reason: String, keepAlive: Bool) {
        let message = "Proxy error: \(upstream) failed: \(reason) (Did the service crash?)"
        respond(context: context, status: .badGateway, json: "{\"issue\":\"\(jsonEscaped(message))\",\"upstream\":\"\(jsonEscaped(upstream))\"}", keepAlive: keepAlive)
    }

    static func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, json: String, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(json.utf8.count))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(string: json)))), promise: nil)
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }
}

/// One kept-alive upstream connection: sends each request it is given and relays the response downstream.
final class UpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// One request and where its response goes.
    struct Exchange {
        let downstream: ChannelHandlerContext
        let request: HTTPRequestHead
        let body: [ByteBuffer]
        let keepAlive: Bool
        let upstreamName: String
    }

    private var exchange: Exchange?
    private var isRelaying = false
    private var upstreamCloses = false

    /// Sends `exchange`'s request on `channel` (this handler's channel, idle).
    func start(_ exchange: Exchange, on channel: any Channel) {
        self.exchange = exchange
        isRelaying = false
        channel.write(HTTPClientRequestPart.head(exchange.request), promise: nil)
        for buffer in exchange.body { channel.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        let downstream = exchange.downstream
        switch unwrapInboundIn(data) {
        case .head(var head):
            isRelaying = true
            upstreamCloses = !head.isKeepAlive
            head.headers.remove(name: "connection")
            head.headers.remove(name: "keep-alive")
            if !exchange.keepAlive { head.headers.add(name: "connection", value: "close") }
            head.version = .http1_1
            downstream.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        case .body(let buffer):
            downstream.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            self.exchange = nil
            isRelaying = false
            let written = downstream.writeAndFlush(NIOAny(HTTPServerResponsePart.end(trailers)))
            if !exchange.keepAlive { written.whenComplete { [channel = downstream.channel] _ in channel.close(promise: nil) } }
            if upstreamCloses || !exchange.keepAlive { context.close(promise: nil) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.downstream.flush()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(reason: "\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(reason: "connection closed before the response ended")
        context.fireChannelInactive()
    }

    /// Before any response byte: 502 naming the upstream. Mid-response: the downstream connection is closed,
    /// the only honest signal left.
    private func fail(reason: String) {
        guard let exchange else { return }
        self.exchange = nil
        if isRelaying {
            exchange.downstream.close(promise: nil)
        } else {
            ProxyHandler.badGateway(context: exchange.downstream, upstream: exchange.upstreamName, reason: reason, keepAlive: exchange.keepAlive)
        }
    }
}

/// The text between JSON quotes.
func jsonEscaped(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where scalar.value < 0x20: result += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}
