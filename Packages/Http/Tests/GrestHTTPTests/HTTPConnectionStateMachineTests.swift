@testable import GrestHTTP
import GrestSchema
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing

/// ``HTTPConnectionStateMachine`` driven by event sequences: no channel, no clock.
@Suite("HTTP connection state machine")
struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine<String>

    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    let idle = TimeAmount.seconds(5)
    let read = TimeAmount.seconds(10)

    func makeMachine() -> Machine { Machine(idleTimeout: idle, readTimeout: read) }

    func head(_ uri: String) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri))
    }

    func body(_ text: String) -> HTTPServerRequestPart { .body(ByteBuffer(string: text)) }

    /// Receives a head and accepts it as request `uri` (the driver's routing step).
    func accept(_ uri: String, _ machine: inout Machine, limit: Int = 100, now: NIODeadline? = nil) {
        #expect(describe(machine.receive(head(uri))) == "route \(uri)")
        _ = machine.headAccepted(Machine.Request(routed: uri, maxBodyBytes: limit, started: now ?? t0), now: now ?? t0)
    }

    /// Replays the backlog until it is done, accepting every routed head.
    func replay(_ machine: inout Machine) -> [String] {
        var actions: [String] = []
        while true {
            let action = machine.replayBacklog()
            if case .none = action { return actions }
            actions.append(describe(action))
            if case .routeHead(let head) = action {
                _ = machine.headAccepted(Machine.Request(routed: head.uri, maxBodyBytes: 100, started: t0), now: t0)
            }
        }
    }

    // Mutating calls stay out of `#expect`, which evaluates its operands as immutable values.
    func readRequested(_ machine: inout Machine) -> Bool { machine.readRequested() }
    func handlerRemoved(_ machine: inout Machine) -> Bool { machine.handlerRemoved() }

    func describe(_ action: Machine.Action) -> String {
        switch action {
        case .none: "none"
        case .routeHead(let head): "route \(head.uri)"
        case .dispatch(let request): "dispatch \(request.routed) \(request.body.map { String(buffer: $0) } ?? "-")"
        case .rejectBodyTooLarge(let request): "413 \(request.routed)"
        case .answerParserError: "400"
        case .resumeReading: "resume reading"
        case .closeAfterLastReply: "close after last reply"
        }
    }

    @Test func requestCycleReturnsToIdle() {
        var machine = makeMachine()
        #expect(machine.connectionActive(now: t0) == .scheduleCheck(at: t0 + idle))
        accept("/a", &machine)
        #expect(describe(machine.receive(body("he"))) == "none")
        #expect(describe(machine.receive(body("llo"))) == "none")
        #expect(describe(machine.receive(.end(nil))) == "dispatch /a hello")
        #expect(machine.isProcessing)
        // The check scheduled at connection start is still pending: keeping alive moves the deadline only.
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: t0) == .keepAlive(.none))
        #expect(!machine.isProcessing)
        #expect(replay(&machine) == [])
        accept("/b", &machine)
        #expect(describe(machine.receive(.end(nil))) == "dispatch /b -")
    }

    @Test func bodyOverItsLimitIsRejected() {
        var machine = makeMachine()
        accept("/a", &machine, limit: 4)
        #expect(describe(machine.receive(body("abcd"))) == "none")
        #expect(describe(machine.receive(body("e"))) == "413 /a")
        #expect(machine.replyStarted(isKeepAliveRequested: false, now: t0) == .closeAfterReply)
        // Whatever follows the rejected request is dropped.
        #expect(describe(machine.receive(.end(nil))) == "none")
        #expect(describe(machine.receive(head("/b"))) == "none")
    }

    @Test func pipelinedRequestsWaitAndReplayInOrder() {
        var machine = makeMachine()
        accept("/a", &machine)
        #expect(describe(machine.receive(.end(nil))) == "dispatch /a -")
        for part in [head("/b"), body("x"), .end(nil), head("/c"), .end(nil)] {
            #expect(describe(machine.receive(part)) == "none")
        }
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: t0) == .keepAlive(.none))
        // /b is dispatched and in flight again: /c waits for its reply.
        #expect(replay(&machine) == ["route /b", "dispatch /b x"])
        #expect(machine.isProcessing)
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: t0) == .keepAlive(.none))
        #expect(replay(&machine) == ["route /c", "dispatch /c -"])
    }

    @Test func readIsHeldOnlyWhileRequestsWait() {
        var machine = makeMachine()
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        // In flight, nothing waiting: the usual request-then-wait client is read as usual.
        #expect(readRequested(&machine))
        _ = machine.receive(head("/b"))
        #expect(!readRequested(&machine))
        #expect(machine.isReadHeld)
        _ = machine.replyStarted(isKeepAliveRequested: true, now: t0)
        #expect(replay(&machine) == ["route /b", "resume reading"])
        #expect(!machine.isReadHeld)
        #expect(readRequested(&machine))
    }

    @Test func removedHandlerPassesHeldReadOn() {
        var machine = makeMachine()
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        _ = machine.receive(head("/b"))
        #expect(!readRequested(&machine))
        #expect(handlerRemoved(&machine))
        #expect(machine.isClosed)
        #expect(!handlerRemoved(&machine))
    }

    @Test func halfCloseAfterRequestInFlightClosesWithItsReply() {
        var machine = makeMachine()
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        #expect(describe(machine.inputClosed()) == "none")
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: t0) == .closeAfterReply)
        #expect(replay(&machine) == [])
    }

    @Test func halfCloseAnswersEveryPipelinedRequest() {
        var machine = makeMachine()
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        _ = machine.receive(head("/b"))
        _ = machine.receive(.end(nil))
        #expect(describe(machine.inputClosed()) == "none")
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: t0) == .keepAlive(.none))
        #expect(replay(&machine) == ["route /b", "dispatch /b -"])
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: t0) == .closeAfterReply)
    }

    @Test func halfCloseWhileIdleOrReceivingCloses() {
        var idleMachine = makeMachine()
        #expect(describe(idleMachine.inputClosed()) == "close after last reply")
        // A request cut short by the half-close never completes.
        var receiving = makeMachine()
        accept("/a", &receiving)
        #expect(describe(receiving.inputClosed()) == "close after last reply")
        #expect(receiving.isClosed)
    }

    @Test func parserErrorIsAnsweredAfterEarlierRequests() {
        var machine = makeMachine()
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        _ = machine.receive(head("/b"))
        _ = machine.receive(.end(nil))
        #expect(describe(machine.parserError()) == "none")
        _ = machine.replyStarted(isKeepAliveRequested: true, now: t0)
        #expect(replay(&machine) == ["route /b", "dispatch /b -"])
        _ = machine.replyStarted(isKeepAliveRequested: true, now: t0)
        #expect(replay(&machine) == ["400"])
        #expect(describe(machine.parserError()) == "none")
    }

    @Test func parserErrorWhileIdleIsAnsweredAtOnce() {
        var machine = makeMachine()
        #expect(describe(machine.parserError()) == "400")
        #expect(describe(machine.receive(head("/a"))) == "none")
    }

    @Test func idleTimeoutCloses() {
        var machine = makeMachine()
        #expect(machine.connectionActive(now: t0) == .scheduleCheck(at: t0 + idle))
        #expect(machine.timerFired(now: t0 + idle) == .close)
        #expect(machine.isClosed)
    }

    @Test func movedDeadlineIsCheckedAgainWithoutExtraTimers() {
        var machine = makeMachine()
        #expect(machine.connectionActive(now: t0) == .scheduleCheck(at: t0 + idle))
        // A head at t0+2s: the read timeout runs to t0+12s; the pending check stays.
        accept("/a", &machine, now: t0 + .seconds(2))
        #expect(machine.timerFired(now: t0 + idle) == .scheduleCheck(at: t0 + .seconds(10)))
        #expect(machine.timerFired(now: t0 + .seconds(10)) == .scheduleCheck(at: t0 + .seconds(12)))
        #expect(machine.timerFired(now: t0 + .seconds(12)) == .close)
    }

    @Test func noTimeoutWhileProcessing() {
        var machine = makeMachine()
        _ = machine.connectionActive(now: t0)
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        #expect(machine.timerFired(now: t0 + .seconds(60)) == .none)
        // The reply arms the idle timeout again, with a fresh check.
        let now = t0 + .seconds(61)
        #expect(machine.replyStarted(isKeepAliveRequested: true, now: now) == .keepAlive(.scheduleCheck(at: now + idle)))
        #expect(machine.timerFired(now: now + idle) == .close)
    }

    @Test func inactiveChannelDropsTheBacklog() {
        var machine = makeMachine()
        accept("/a", &machine)
        _ = machine.receive(.end(nil))
        _ = machine.receive(head("/b"))
        machine.channelInactive()
        #expect(machine.isClosed)
        #expect(replay(&machine) == [])
        #expect(machine.timerFired(now: t0 + .seconds(60)) == .none)
    }
}

/// ``HTTPConnectionHandler`` as the driver of the state machine, on an `NIOAsyncTestingChannel`: request parts in,
/// response parts out, the loop's virtual clock for timeouts. (The async sibling of `EmbeddedChannel`: endpoint
/// replies are computed by a task on the channel's event loop, which `EmbeddedChannel` cannot host.)
@Suite("HTTP connection handler", .timeLimit(.minutes(1)))
struct HTTPConnectionHandlerTests {
    /// Counts the `read()` calls that pass the handler.
    final class ReadCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Any
        let reads = Atomic<Int>(0)
        func read(context: ChannelHandlerContext) {
            reads.add(1, ordering: .relaxed)
            context.read()
        }
    }

    /// A connection whose `GET /ping/` replies only when ``release()`` lets one reply go.
    struct Connection {
        let channel = NIOAsyncTestingChannel()
        let counter = ReadCounter()
        let gate: AsyncStream<Void>
        let release: AsyncStream<Void>.Continuation

        init(idleTimeout: TimeAmount = .seconds(60)) async throws {
            (gate, release) = AsyncStream<Void>.makeStream()
            var configuration = HTTPServerConfiguration()
            configuration.limits.idleTimeout = idleTimeout
            let server = HTTPServer(configuration: configuration)
            let gate = self.gate
            server.register(PingApi.http) { impl in
                impl.handle(PingApi.ping) {
                    for await _ in gate { break }
                    return Note(text: "pong")
                }
            }
            let core = try server.makeCore()
            let channel = self.channel
            let counter = self.counter
            try await channel.testingEventLoop.executeInContext {
                let sync = channel.pipeline.syncOperations
                try sync.addHandler(counter)
                try sync.addHandler(HTTPConnectionHandler(core: core, executor: EventLoopTaskExecutor(eventLoop: channel.eventLoop)))
            }
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80))
        }

        func send(_ uri: String, keepAlive: Bool = true) async throws {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
            if !keepAlive { head.headers.add(name: "connection", value: "close") }
            try await channel.writeInbound(HTTPServerRequestPart.head(head))
            try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        }

        /// The next complete response's head.
        func response() async throws -> HTTPResponseHead {
            guard case .head(let head) = try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self) else {
                Issue.record("a response starts with its head")
                throw ChannelError.inappropriateOperationForState
            }
            while true {
                if case .end = try await channel.waitForOutboundWrite(as: HTTPServerResponsePart.self) { break }
            }
            // Whatever the reply's write set off (the backlog's replay) is done once the loop runs this.
            try await channel.testingEventLoop.executeInContext {}
            return head
        }

        func read() async throws {
            try await channel.testingEventLoop.executeInContext { [channel] in channel.read() }
        }

        var reads: Int { counter.reads.load(ordering: .relaxed) }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let connection = try await Connection()
        try await connection.send("/ping/")
        try await connection.send("/missing")
        try await connection.send("/ping/")
        #expect(try await connection.channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
        connection.release.yield()
        #expect(try await connection.response().status == .ok)
        // The 404 is computed at once, but only after the first reply.
        #expect(try await connection.response().status == .notFound)
        connection.release.yield()
        #expect(try await connection.response().status == .ok)
        try await connection.channel.close()
    }

    @Test func readIsHeldWhileARequestWaits() async throws {
        let connection = try await Connection()
        try await connection.send("/ping/")
        try await connection.read()
        #expect(connection.reads == 1)
        try await connection.send("/ping/")
        try await connection.read()
        #expect(connection.reads == 1)
        connection.release.yield()
        #expect(try await connection.response().status == .ok)
        // The waiting request is in flight now, the held read passed on.
        #expect(connection.reads == 2)
        connection.release.yield()
        #expect(try await connection.response().status == .ok)
        try await connection.channel.close()
    }

    @Test func halfCloseAfterARequestInFlightAnswersThenCloses() async throws {
        let connection = try await Connection()
        try await connection.send("/ping/")
        let channel = connection.channel
        try await channel.testingEventLoop.executeInContext { channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        #expect(channel.isActive)
        connection.release.yield()
        let head = try await connection.response()
        #expect(head.status == .ok)
        #expect(head.headers["connection"] == ["close"])
        try await channel.closeFuture.get()
        #expect(!channel.isActive)
    }

    @Test func idleTimeoutCloses() async throws {
        let connection = try await Connection(idleTimeout: .seconds(5))
        let channel = connection.channel
        await channel.testingEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        try await channel.closeFuture.get()
        #expect(!channel.isActive)
    }

    @Test func idleTimeoutRestartsAfterEachReply() async throws {
        let connection = try await Connection(idleTimeout: .seconds(5))
        let channel = connection.channel
        await channel.testingEventLoop.advanceTime(by: .seconds(4))
        try await connection.send("/missing")
        #expect(try await connection.response().status == .notFound)
        await channel.testingEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        try await channel.closeFuture.get()
    }
}
