import GrestMiddleware
import GrestSchema
import NIOCore
import NIOHTTP1
import NIOPosix

/// One connection's HTTP/1.1 request loop, on its event loop: routing, limits and timeouts happen here
/// synchronously; the async part (middleware, gate, handler) runs as a task on the same event loop
/// (``EventLoopTaskExecutor``), and the reply is written back here.
///
/// At most one request is in flight per connection. Pipelined requests that arrive meanwhile wait in a backlog and
/// are answered in order; while the backlog holds anything the channel's `read()` is held, so a client that floods
/// pipelined requests is read no further than one read batch ahead. Reads are not held for the usual
/// request-then-wait client, unlike NIO's `HTTPServerPipelineHandler`, which turns read interest off and on again
/// (two `epoll_ctl` calls) around every response. Parser errors are answered here too (400 and close), after the
/// responses to the requests that came before them. A client that half-closes gets the replies to what it sent, then
/// the connection closes.
///
/// The protocol decisions (request cycle, backlog, held reads, half-close, deadlines) are ``HTTPConnectionStateMachine``'s;
/// this handler routes heads, computes replies and performs the machine's actions. Time is the event loop's `now`, so
/// a test loop's virtual clock drives the timeouts.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart
    /// The handler's name in the pipeline (the upgrader removes it by name).
    static let name = "grest.http.request"

    /// What the driver learned from a request head; ``HTTPConnectionStateMachine`` carries it with the body.
    private struct Routed {
        enum Target {
            case endpoint(RouteEndpoint, parameters: [Substring])
            case notFound
            case preflight
            case staticFile(StaticFileMount, segments: [String])
        }

        var head: HTTPRequestHead
        var path: Substring
        var query: Substring
        var target: Target
    }

    private typealias Pending = HTTPConnectionStateMachine<Routed>.Request

    private let core: ServerCore
    private let executor: EventLoopTaskExecutor
    private var machine: HTTPConnectionStateMachine<Routed>
    /// Completes when the last reply written has left NIO's buffer: a close must not cut off its tail.
    private var lastReplyFlushed: EventLoopFuture<Void>?
    private var localPort = 0

    init(core: ServerCore, executor: EventLoopTaskExecutor) {
        self.core = core
        self.executor = executor
        self.machine = HTTPConnectionStateMachine(idleTimeout: core.limits.idleTimeout, readTimeout: core.limits.readTimeout)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        localPort = context.channel.localAddress?.port ?? 0
        if context.channel.isActive { perform(machine.connectionActive(now: context.eventLoop.now), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.connectionActive(now: context.eventLoop.now), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.channelInactive()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed by an upgrade: a reply still being computed has nowhere to go.
        if machine.handlerRemoved() { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            perform(machine.inputClosed(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused upgrade is reported here, then the request continues as plain HTTP (answered 404/400 below).
        if error is RoutedUpgrader.Refused { return }
        if error is HTTPParserError {
            perform(machine.parserError(), context: context)
            return
        }
        // The decoder reports every read after a parser error; the 400 is already on its way.
        if case ByteToMessageDecoderError.dataReceivedInErrorState = error { return }
        machine.failed()
        context.close(promise: nil)
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(machine.receive(unwrapInboundIn(data)), context: context)
    }

    func read(context: ChannelHandlerContext) {
        if machine.readRequested() { context.read() }
    }

    /// After a reply: replays backlogged requests until one is in flight again (or the connection is closing), then
    /// lets reads through again once nothing waits.
    private func drainBacklog(context: ChannelHandlerContext) {
        while true {
            let action = machine.replayBacklog()
            if case .none = action { return }
            perform(action, context: context)
        }
    }

    // MARK: Actions

    private func perform(_ action: HTTPConnectionStateMachine<Routed>.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .routeHead(let head):
            receiveHead(head, context: context)
        case .dispatch(let pending):
            dispatch(pending, context: context)
        case .rejectBodyTooLarge(let pending):
            reject(status: .payloadTooLarge, error: payloadTooLarge(pending.maxBodyBytes), pending: pending, context: context)
        case .answerParserError:
            answerParserError(context: context)
        case .resumeReading:
            context.read()
        case .closeAfterLastReply:
            if let flushed = lastReplyFlushed {
                flushed.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        }
    }

    private func perform(_ action: HTTPConnectionStateMachine<Routed>.TimerAction, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .scheduleCheck(let deadline):
            context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                perform(machine.timerFired(now: context.eventLoop.now), context: context)
            }
        case .close:
            context.close(promise: nil)
        }
    }

    /// Routes a head that arrived while idle: answers it at once (503, 431, refused upgrades, 413 by its
    /// `content-length`) or reads its body.
    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let started = context.eventLoop.now
        let (path, query) = RequestTarget.split(head.uri)
        var pending = Pending(routed: Routed(head: head, path: path, query: query, target: .notFound), maxBodyBytes: core.limits.maxBodyBytes, started: started)

        if core.isDraining {
            reject(status: .serviceUnavailable, error: nil, pending: pending, context: context)
            return
        }
        if headSize(head) > core.limits.maxHeaderBytes {
            reject(status: .requestHeaderFieldsTooLarge, error: nil, pending: pending, context: context)
            return
        }
        if head.headers.contains(name: "upgrade") {
            // A supported upgrade on a registered path never reaches this handler (NIO's upgrader takes it).
            let status: HTTPResponseStatus = core.hasUpgradeRoute(for: path) ? .badRequest : .notFound
            reject(status: status, error: nil, pending: pending, context: context)
            return
        }
        if head.method == .OPTIONS {
            pending.routed.target = .preflight
        } else if let match = core.router.match(method: HTTPRouteMethod(requestMethod: head.method.rawValue), path: path) {
            pending.routed.target = .endpoint(match.value, parameters: match.parameters)
            pending.maxBodyBytes = match.value.maxBodyBytes
        } else if head.method == .GET || head.method == .HEAD, let (mount, segments) = core.staticFiles.match(path) {
            pending.routed.target = .staticFile(mount, segments: segments)
        }
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > pending.maxBodyBytes {
            reject(status: .payloadTooLarge, error: payloadTooLarge(pending.maxBodyBytes), pending: pending, context: context)
            return
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        perform(machine.headAccepted(pending, now: started), context: context)
    }

    private func headSize(_ head: HTTPRequestHead) -> Int {
        var size = head.uri.utf8.count + 16
        for (name, value) in head.headers { size += name.utf8.count + value.utf8.count + 4 }
        return size
    }

    private func payloadTooLarge(_ limit: Int) -> ServiceError {
        PAYLOAD_TOO_LARGE(displayMessage: "Request body is larger than \(limit) bytes")
    }

    // MARK: Answering

    private func dispatch(_ pending: Pending, context: ChannelHandlerContext) {
        let routed = pending.routed
        switch routed.target {
        case .preflight:
            var headers = HTTPHeaders()
            core.cors.apply(origin: routed.head.headers.first(name: "origin"), preflight: true, to: &headers)
            write(status: .noContent, headers: headers, body: nil, head: routed.head, context: context)
        case .staticFile(let mount, let segments):
            let headers = routed.head.headers
            let future = NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { mount.resolve(segments, requestHeaders: headers) }
            core.requestStarted()
            future.assumeIsolated().whenComplete { [self] result in
                defer { core.requestFinished() }
                guard machine.isProcessing else {
                    if case .success(.file(let descriptor, _, _)) = result { try? NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor).close() }
                    return
                }
                switch result {
                case .success(.file(let descriptor, let size, let headers)):
                    let file = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
                    write(status: .ok, headers: headers, body: nil, file: (file, size), head: routed.head, context: context)
                case .success(.notModified(let headers)):
                    write(status: .notModified, headers: headers, body: nil, head: routed.head, context: context)
                case .success(.notFound), .failure:
                    answerNotFound(routed, started: pending.started, context: context)
                }
                drainBacklog(context: context)
            }
        case .notFound:
            answerNotFound(routed, started: pending.started, context: context)
        case .endpoint(let endpoint, let parameters):
            let request = ReceivedRequest(
                head: routed.head, path: routed.path, query: routed.query, parameters: parameters, body: pending.body,
                ref: core.requestRef(from: routed.head.headers), localPort: localPort)
            let started = pending.started
            let eventLoop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
            core.requestStarted()
            // Requests start in a channel handler on the event loop, where no task group exists: the core counts this
            // task (requestStarted / requestFinished) and shutdown waits for it (waitUntilIdle).
            Task(executorPreference: executor) {
                let (reply, extraHeaders) = await RequestPipeline.respond(to: request, endpoint: endpoint)
                endpoint.metrics.record(result: reply.error?.type ?? "OK", nanoseconds: (eventLoop.now - started).nanoseconds)
                if eventLoop.inEventLoop {
                    bound.value.handler.finish(reply, extraHeaders, request, context: bound.value.context)
                } else {
                    eventLoop.execute { bound.value.handler.finish(reply, extraHeaders, request, context: bound.value.context) }
                }
            }
        }
    }

    private func answerNotFound(_ routed: Routed, started: NIODeadline, context: ChannelHandlerContext) {
        let error = ROUTE_NOT_FOUND(displayMessage: "Route not found: \(routed.head.method.rawValue) \(routed.path)")
        core.unmatchedMetrics.record(result: error.type, nanoseconds: (context.eventLoop.now - started).nanoseconds)
        var headers = HTTPHeaders()
        core.cors.apply(origin: routed.head.headers.first(name: "origin"), preflight: false, to: &headers)
        write(status: .notFound, headers: headers, body: error.jsonBytes, head: routed.head, context: context)
    }

    private func finish(_ reply: ContractReply, _ extraHeaders: HTTPHeaders, _ request: ReceivedRequest, context: ChannelHandlerContext) {
        defer { core.requestFinished() }
        guard machine.isProcessing else { return }
        var headers = extraHeaders
        headers.add(name: "x-request-id", value: request.ref)
        core.cors.apply(origin: request.head.headers.first(name: "origin"), preflight: false, to: &headers)
        write(status: HTTPResponseStatus(statusCode: reply.statusCode), headers: headers, body: reply.body, head: request.head, context: context)
        drainBacklog(context: context)
    }

    /// Bytes that are not HTTP/1.1: 400 with an empty body, then close (as NIO's `HTTPServerProtocolErrorHandler`).
    private func answerParserError(context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("connection", "close"), ("content-length", "0")])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // Closed at once, not after the flush: a client that stops reading does not keep a broken connection open.
        context.close(promise: nil)
    }

    /// Writes a complete response and returns to idle (or closes when the request asked for it).
    /// `file`: a static file's body, sent from its descriptor (not for `HEAD`) and closed once written.
    private func write(
        status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8]?, file: (NIOFileHandle, Int)? = nil, head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        var headers = headers
        // Back to idle before `.end`: the pipelining handler may hand us the next request from inside the write.
        let keepAlive: Bool
        switch machine.replyStarted(isKeepAliveRequested: head.isKeepAlive, now: context.eventLoop.now) {
        case .keepAlive(let timer):
            keepAlive = true
            perform(timer, context: context)
        case .closeAfterReply:
            keepAlive = false
        }
        if let body {
            // A raw route's middleware may have set its own (a metrics scrape's text format).
            if !headers.contains(name: "content-type") { headers.add(name: "content-type", value: "application/json") }
            headers.add(name: "content-length", value: String(body.count))
        } else if file == nil, status != .noContent, status != .notModified {
            headers.add(name: "content-length", value: "0")
        }
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if head.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let body {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        if let (handle, size) = file, head.method != .HEAD, size > 0 {
            context.write(wrapOutboundOut(.body(.fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: size)))), promise: nil)
        }
        let ended = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if let (handle, _) = file { ended.assumeIsolated().whenComplete { _ in try? handle.close() } }
        if keepAlive {
            lastReplyFlushed = ended
        } else {
            ended.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Answers at the head (413, 431, 503, refused upgrades) and closes: the body is never read.
    private func reject(status: HTTPResponseStatus, error: ServiceError?, pending: Pending, context: ChannelHandlerContext) {
        let routed = pending.routed
        if case .endpoint(let endpoint, _) = routed.target, let error {
            endpoint.metrics.record(result: error.type, nanoseconds: (context.eventLoop.now - pending.started).nanoseconds)
        }
        var headers = HTTPHeaders()
        core.cors.apply(origin: routed.head.headers.first(name: "origin"), preflight: false, to: &headers)
        headers.add(name: "connection", value: "close")
        var closing = routed.head
        closing.headers.replaceOrAdd(name: "connection", value: "close")
        write(status: status, headers: headers, body: error?.jsonBytes, head: closing, context: context)
    }
}
