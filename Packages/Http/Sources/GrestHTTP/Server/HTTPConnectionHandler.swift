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
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart
    /// The handler's name in the pipeline (the upgrader removes it by name).
    static let name = "grest.http.request"

    /// What the connection is doing.
    private enum State {
        /// Waiting for a request head (the idle timeout runs).
        case idle
        /// Reading a request body (the read timeout runs).
        case receiving(Pending)
        /// The reply is being computed.
        case processing
        /// An error reply was sent at the head; the rest is dropped and the connection closes.
        case rejecting
        case closed
    }

    /// A request whose head arrived.
    private struct Pending {
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
        var body: ByteBuffer?
        var received: Int
        var limit: Int
        var started: NIODeadline
    }

    /// What arrived while a request was being answered, in order.
    private enum Backlogged {
        case part(HTTPServerRequestPart)
        case parserError
    }

    private let core: ServerCore
    private let executor: EventLoopTaskExecutor
    private var state = State.idle
    /// Empty unless a request is in flight (`.processing`): ``drainBacklog`` replays it until one is again.
    private var backlog = CircularBuffer<Backlogged>(initialCapacity: 0)
    /// A `read()` was held back because the backlog is not empty.
    private var isReadHeld = false
    /// The client shut down its write side (half-close): what it sent is answered, then the connection closes.
    private var isInputClosed = false
    /// Completes when the last reply written has left NIO's buffer: a close must not cut off its tail.
    private var lastReplyFlushed: EventLoopFuture<Void>?
    private var deadline: NIODeadline?
    private var isTimerScheduled = false
    private var localPort = 0

    init(core: ServerCore, executor: EventLoopTaskExecutor) {
        self.core = core
        self.executor = executor
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        localPort = context.channel.localAddress?.port ?? 0
        if context.channel.isActive { arm(.now() + core.limits.idleTimeout, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(.now() + core.limits.idleTimeout, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        deadline = nil
        backlog.removeAll()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Removed by an upgrade: a reply still being computed has nowhere to go.
        state = .closed
        backlog.removeAll()
        if isReadHeld {
            isReadHeld = false
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            isInputClosed = true
            closeIfInputIsDone(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// After a half-close: closes once no request is being answered or waits (a request cut short by the half-close
    /// never completes). A reply in flight closes the connection itself when written (see ``write``).
    private func closeIfInputIsDone(context: ChannelHandlerContext) {
        guard isInputClosed, backlog.isEmpty else { return }
        switch state {
        case .idle, .receiving:
            state = .closed
            if let flushed = lastReplyFlushed {
                flushed.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
        case .processing, .rejecting, .closed:
            return
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused upgrade is reported here, then the request continues as plain HTTP (answered 404/400 below).
        if error is RoutedUpgrader.Refused { return }
        if error is HTTPParserError {
            switch state {
            case .processing:
                // Answered after the reply in flight and whatever was pipelined before the bad bytes.
                backlog.append(.parserError)
            case .idle, .receiving:
                answerParserError(context: context)
            case .rejecting, .closed:
                break
            }
            return
        }
        // The decoder reports every read after a parser error; the 400 is already on its way.
        if case ByteToMessageDecoderError.dataReceivedInErrorState = error { return }
        state = .closed
        context.close(promise: nil)
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .processing = state {
            backlog.append(.part(part))
        } else {
            receive(part, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if case .processing = state, !backlog.isEmpty {
            isReadHeld = true
            return
        }
        context.read()
    }

    /// Replays backlogged requests until one is in flight again (or the connection is closing), then lets reads
    /// through again once nothing waits.
    private func drainBacklog(context: ChannelHandlerContext) {
        replay: while !backlog.isEmpty {
            switch state {
            case .idle, .receiving:
                switch backlog.removeFirst() {
                case .part(let part): receive(part, context: context)
                case .parserError: answerParserError(context: context)
                }
            case .processing:
                break replay
            case .rejecting, .closed:
                backlog.removeAll()
            }
        }
        if isReadHeld, backlog.isEmpty {
            isReadHeld = false
            context.read()
        }
        closeIfInputIsDone(context: context)
    }

    private func receive(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(var part):
            guard case .receiving(var pending) = state else { return }
            pending.received += part.readableBytes
            if pending.received > pending.limit {
                reject(status: .payloadTooLarge, error: payloadTooLarge(pending.limit), pending: pending, context: context)
                return
            }
            if pending.body == nil {
                pending.body = part
            } else {
                pending.body!.writeBuffer(&part)
            }
            state = .receiving(pending)
        case .end:
            guard case .receiving(let pending) = state else { return }
            state = .processing
            deadline = nil
            dispatch(pending, context: context)
        }
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let started = NIODeadline.now()
        let (path, query) = RequestTarget.split(head.uri)
        var pending = Pending(
            head: head, path: path, query: query, target: .notFound, body: nil, received: 0, limit: core.limits.maxBodyBytes, started: started)

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
            pending.target = .preflight
        } else if let match = core.router.match(method: HTTPRouteMethod(requestMethod: head.method.rawValue), path: path) {
            pending.target = .endpoint(match.value, parameters: match.parameters)
            pending.limit = match.value.maxBodyBytes
        } else if head.method == .GET || head.method == .HEAD, let (mount, segments) = core.staticFiles.match(path) {
            pending.target = .staticFile(mount, segments: segments)
        }
        if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > pending.limit {
            reject(status: .payloadTooLarge, error: payloadTooLarge(pending.limit), pending: pending, context: context)
            return
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        state = .receiving(pending)
        arm(started + core.limits.readTimeout, context: context)
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
        switch pending.target {
        case .preflight:
            var headers = HTTPHeaders()
            core.cors.apply(origin: pending.head.headers.first(name: "origin"), preflight: true, to: &headers)
            write(status: .noContent, headers: headers, body: nil, head: pending.head, context: context)
        case .staticFile(let mount, let segments):
            let headers = pending.head.headers
            let future = NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { mount.resolve(segments, requestHeaders: headers) }
            core.requestStarted()
            future.assumeIsolated().whenComplete { [self] result in
                defer { core.requestFinished() }
                guard case .processing = state else {
                    if case .success(.file(let descriptor, _, _)) = result { try? NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor).close() }
                    return
                }
                switch result {
                case .success(.file(let descriptor, let size, let headers)):
                    let file = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
                    write(status: .ok, headers: headers, body: nil, file: (file, size), head: pending.head, context: context)
                case .success(.notModified(let headers)):
                    write(status: .notModified, headers: headers, body: nil, head: pending.head, context: context)
                case .success(.notFound), .failure:
                    answerNotFound(pending, context: context)
                }
                drainBacklog(context: context)
            }
        case .notFound:
            answerNotFound(pending, context: context)
        case .endpoint(let endpoint, let parameters):
            let request = ReceivedRequest(
                head: pending.head, path: pending.path, query: pending.query, parameters: parameters, body: pending.body,
                ref: core.requestRef(from: pending.head.headers), localPort: localPort)
            let core = self.core
            let started = pending.started
            let eventLoop = context.eventLoop
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
            core.requestStarted()
            // Requests start in a channel handler on the event loop, where no task group exists: the core counts this
            // task (requestStarted / requestFinished) and shutdown waits for it (waitUntilIdle).
            Task(executorPreference: executor) {
                let (reply, extraHeaders) = await RequestPipeline.respond(to: request, endpoint: endpoint)
                endpoint.metrics.record(result: reply.error?.type ?? "OK", nanoseconds: (NIODeadline.now() - started).nanoseconds)
                if eventLoop.inEventLoop {
                    bound.value.handler.finish(reply, extraHeaders, request, context: bound.value.context)
                } else {
                    eventLoop.execute { bound.value.handler.finish(reply, extraHeaders, request, context: bound.value.context) }
                }
            }
        }
    }

    private func answerNotFound(_ pending: Pending, context: ChannelHandlerContext) {
        let error = ROUTE_NOT_FOUND(displayMessage: "Route not found: \(pending.head.method.rawValue) \(pending.path)")
        core.unmatchedMetrics.record(result: error.type, nanoseconds: (NIODeadline.now() - pending.started).nanoseconds)
        var headers = HTTPHeaders()
        core.cors.apply(origin: pending.head.headers.first(name: "origin"), preflight: false, to: &headers)
        write(status: .notFound, headers: headers, body: error.jsonBytes, head: pending.head, context: context)
    }

    private func finish(_ reply: ContractReply, _ extraHeaders: HTTPHeaders, _ request: ReceivedRequest, context: ChannelHandlerContext) {
        defer { core.requestFinished() }
        guard case .processing = state else { return }
        var headers = extraHeaders
        headers.add(name: "x-request-id", value: request.ref)
        core.cors.apply(origin: request.head.headers.first(name: "origin"), preflight: false, to: &headers)
        write(status: HTTPResponseStatus(statusCode: reply.statusCode), headers: headers, body: reply.body, head: request.head, context: context)
        drainBacklog(context: context)
    }

    /// Bytes that are not HTTP/1.1: 400 with an empty body, then close (as NIO's `HTTPServerProtocolErrorHandler`).
    private func answerParserError(context: ChannelHandlerContext) {
        let headers = HTTPHeaders([("connection", "close"), ("content-length", "0")])
        state = .rejecting
        backlog.removeAll()
        deadline = nil
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
        // After a half-close, the reply to the last request the client sent is the connection's last.
        let keepAlive = head.isKeepAlive && !(isInputClosed && backlog.isEmpty)
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
        // Back to idle before `.end`: the pipelining handler may hand us the next request from inside the write.
        state = keepAlive ? .idle : .rejecting
        if keepAlive { arm(.now() + core.limits.idleTimeout, context: context) }
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
        if case .endpoint(let endpoint, _) = pending.target, let error {
            endpoint.metrics.record(result: error.type, nanoseconds: (NIODeadline.now() - pending.started).nanoseconds)
        }
        var headers = HTTPHeaders()
        core.cors.apply(origin: pending.head.headers.first(name: "origin"), preflight: false, to: &headers)
        headers.add(name: "connection", value: "close")
        var closing = pending.head
        closing.headers.replaceOrAdd(name: "connection", value: "close")
        write(status: status, headers: headers, body: error?.jsonBytes, head: closing, context: context)
        state = .rejecting
    }

    // MARK: Timeouts

    /// Sets the connection's deadline. One scheduled check per connection: it fires at most
    /// `min(idleTimeout, readTimeout)` after it was scheduled, and every deadline set later is at least that far
    /// out, so moving the deadline never needs a reschedule (no timer allocation per request).
    private func arm(_ newDeadline: NIODeadline, context: ChannelHandlerContext) {
        deadline = newDeadline
        guard !isTimerScheduled else { return }
        scheduleCheck(context: context)
    }

    private func scheduleCheck(context: ChannelHandlerContext) {
        guard let deadline else { return }
        isTimerScheduled = true
        let interval = min(core.limits.idleTimeout, core.limits.readTimeout)
        context.eventLoop.assumeIsolated().scheduleTask(deadline: min(deadline, .now() + interval)) { [self] in
            self.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        isTimerScheduled = false
        guard let deadline else { return }
        switch state {
        case .idle, .receiving:
            if deadline <= .now() {
                state = .closed
                context.close(promise: nil)
            } else {
                scheduleCheck(context: context)
            }
        case .processing, .rejecting, .closed:
            return
        }
    }
}
