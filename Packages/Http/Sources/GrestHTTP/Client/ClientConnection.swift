import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One request on a client connection, written as a single pipeline message.
struct ClientRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<ClientResponse>
}

/// A complete response.
struct ClientResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
}

/// Transport failures, all reported to callers as `SERVER_ERROR`.
enum ClientTransportError: Error, CustomStringConvertible {
    case timeout
    case connectionClosed
    case invalidBaseURL(String)

    var description: String {
        switch self {
        case .timeout: "The request timed out"
        case .connectionClosed: "The connection closed before the response was complete"
        case .invalidBaseURL(let url): "Invalid base URL '\(url)': use http://host:port[/path]"
        }
    }
}

/// Sends one request at a time over a keep-alive connection and completes its promise with the response.
final class ClientResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = ClientRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var promise: EventLoopPromise<ClientResponse>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise writePromise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        promise = request.promise
        head = nil
        body = nil
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: writePromise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx answers (100-continue) are not the response.
            if head.status.code >= 200 { self.head = head }
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head, let promise else { return }
            self.promise = nil
            promise.succeed(ClientResponse(head: head, body: body ?? ByteBuffer()))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ClientTransportError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        guard let promise else { return }
        self.promise = nil
        promise.fail(error)
    }
}

/// A small keep-alive pool for one origin: idle connections are reused, one request per connection at a time.
final class ClientConnectionPool: Sendable {
    private let group: any EventLoopGroup
    private let host: String
    private let port: Int
    private let maxIdle: Int
    private let idle = Mutex<[any Channel]>([])

    init(group: any EventLoopGroup, host: String, port: Int, maxIdle: Int) {
        self.group = group
        self.host = host
        self.port = port
        self.maxIdle = maxIdle
    }

    /// Sends `head`/`body` and waits for the response, within `deadline`.
    func execute(head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline) async throws -> ClientResponse {
        if let channel = takeIdle() {
            do {
                return try await send(on: channel, head: head, body: body, deadline: deadline)
            } catch ClientTransportError.connectionClosed {
                // The server closed the idle connection (keep-alive timeout); one retry on a fresh one.
            } catch let error as ChannelError where error == .ioOnClosedChannel || error == .alreadyClosed {
                // Same: a write on a connection that was closed while idle.
            }
        }
        let channel = try await connect(deadline: deadline)
        return try await send(on: channel, head: head, body: body, deadline: deadline)
    }

    func closeAll() async {
        for channel in idle.withLock({ channels in defer { channels.removeAll() }; return channels }) {
            try? await channel.close()
        }
    }

    private func takeIdle() -> (any Channel)? {
        idle.withLock { channels in
            while let channel = channels.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
    }

    private func release(_ channel: any Channel) {
        let kept = idle.withLock { channels -> Bool in
            guard channels.count < maxIdle else { return false }
            channels.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func connect(deadline: NIODeadline) async throws -> any Channel {
        let remaining = deadline - .now()
        guard remaining > .zero else { throw ClientTransportError.timeout }
        return try await ClientBootstrap(group: group)
            .connectTimeout(remaining)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ClientResponseHandler())
                }
            }
            .connect(host: host, port: port)
            .get()
    }

    private func send(on channel: any Channel, head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline) async throws -> ClientResponse {
        let promise = channel.eventLoop.makePromise(of: ClientResponse.self)
        let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(ClientTransportError.timeout)
            channel.close(promise: nil)
        }
        channel.writeAndFlush(ClientRequest(head: head, body: body, promise: promise)).whenFailure { promise.fail($0) }
        do {
            let response = try await promise.futureResult.get()
            timeout.cancel()
            if response.head.isKeepAlive, channel.isActive { release(channel) } else { channel.close(promise: nil) }
            return response
        } catch {
            timeout.cancel()
            channel.close(promise: nil)
            throw error
        }
    }
}
