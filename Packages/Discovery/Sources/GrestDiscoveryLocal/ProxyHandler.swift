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

    init(router: LocalDiscoveryRouter) {
        self.router = router
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
        upstreamHead.headers.replaceOrAdd(name: "connection", value: "close")
        let upstreamName = target.endpoint.url
        let keepAlive = head.isKeepAlive
        let downstream = NIOLoopBound(context, eventLoop: context.eventLoop)
        let request = NIOLoopBound((upstreamHead, body), eventLoop: context.eventLoop)
        let retry = NIOLoopBound((self, head, tried.union([target.endpoint.hostPort.description])), eventLoop: context.eventLoop)
        let router = self.router
        let upstream = target.endpoint.hostPort
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamHandler(
                            downstream: downstream.value, request: request.value.0, body: request.value.1, keepAlive: keepAlive, upstreamName: upstreamName))
                }
            }
            .connect(host: target.host, port: target.port)
            .whenFailure { _ in
                // Nothing was sent: eject the replica and retry the request on another one (502 when none is left).
                router.eject(upstream)
                let (handler, head, tried) = retry.value
                handler.forward(context: downstream.value, head: head, body: request.value.1, tried: tried)
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

/// The upstream side of one proxied request: sends it when connected and relays the response downstream.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let downstream: ChannelHandlerContext
    private let request: HTTPRequestHead
    private let body: [ByteBuffer]
    private let keepAlive: Bool
    private let upstreamName: String
    private var phase = Phase.waiting

    private enum Phase {
        case waiting
        case relaying
        case done
    }

    init(downstream: ChannelHandlerContext, request: HTTPRequestHead, body: [ByteBuffer], keepAlive: Bool, upstreamName: String) {
        self.downstream = downstream
        self.request = request
        self.body = body
        self.keepAlive = keepAlive
        self.upstreamName = upstreamName
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        for buffer in body { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            phase = .relaying
            head.headers.remove(name: "connection")
            head.headers.remove(name: "keep-alive")
            if !keepAlive { head.headers.add(name: "connection", value: "close") }
            head.version = .http1_1
            downstream.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        case .body(let buffer):
            downstream.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            phase = .done
            let written = downstream.writeAndFlush(NIOAny(HTTPServerResponsePart.end(trailers)))
            if !keepAlive { written.whenComplete { [channel = downstream.channel] _ in channel.close(promise: nil) } }
            context.close(promise: nil)
        }
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
        switch phase {
        case .waiting: ProxyHandler.badGateway(context: downstream, upstream: upstreamName, reason: reason, keepAlive: keepAlive)
        case .relaying: downstream.close(promise: nil)
        case .done: break
        }
        phase = .done
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
