import GrestHTTP
import GrestSchema
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

/// A handler the test holds: it reports that it started, then waits until the test releases it.
struct HeldHandler: Sendable {
    let started: AsyncStream<Void>
    private let startedContinuation: AsyncStream<Void>.Continuation
    private let released: AsyncStream<Void>
    private let releaseContinuation: AsyncStream<Void>.Continuation

    static let hold = ContractMethod("hold", success: IsString)
    static let http = HTTPSchema(Contract("Held", hold), pathPrefix: "held").routes { $0.get(hold, "/") }

    init() {
        (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        (released, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    func implement(_ implementation: HTTPImplementation) {
        implementation.handle(Self.hold) { [startedContinuation, released] in
            startedContinuation.yield()
            for await _ in released { break }
            return "released"
        }
    }

    /// Waits until a request entered the handler; `false` when none did within `limit`.
    func waitUntilStarted(within limit: Duration = .seconds(10)) async -> Bool {
        let started = self.started
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = started.makeAsyncIterator()
                return await iterator.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    func release() { releaseContinuation.yield() }
}

/// Waits (bounded) until the server refuses new connections, which it does once shutdown has begun draining.
func waitUntilRefusingConnections(port: Int, attempts: Int = 500) async -> Bool {
    for _ in 0..<attempts {
        guard let probe = try? await RawConnection.connect(port: port) else { return true }
        await probe.close()
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}

@Suite("Graceful shutdown", .timeLimit(.minutes(2)))
struct ShutdownTests {
    @Test func inFlightFinishesAndNewRequestsGet503() async throws {
        let held = HeldHandler()
        let server = HTTPServer()
        server.register(ItemsApi.http, ItemsApi.implement)
        server.register(HeldHandler.http, held.implement)
        try await server.start()
        let port = server.port!
        let busy = try await RawConnection.connect(port: port)
        let idle = try await RawConnection.connect(port: port)
        try await idle.send("GET /api/items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let observed0 = try await idle.readResponse().status
        #expect(observed0 == 200)
        try await busy.send("GET /held/ HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await held.waitUntilStarted(), "the held request never reached its handler")

        let shutdown = Task { await server.shutdown() }
        #expect(await waitUntilRefusingConnections(port: port), "shutdown never stopped accepting")
        // Draining: a new request on an open keep-alive connection gets 503.
        try await idle.send("GET /api/items/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        let observed1 = try await idle.readResponse().status
        #expect(observed1 == 503)

        // The in-flight request still finishes with its real answer.
        let released = ContinuousClock.now
        held.release()
        let reply = try await busy.readResponse()
        #expect(reply.status == 200)
        #expect(reply.json["data"] == .string("released"))
        await shutdown.value
        // The last request finishing ends the wait (not the 10 s shutdownTimeout).
        #expect(ContinuousClock.now - released < .seconds(5))
        #expect(await busy.waitForClose())
    }

    @Test func shutdownIsBounded() async throws {
        let held = HeldHandler()
        var configuration = HTTPServerConfiguration()
        configuration.shutdownTimeout = .milliseconds(200)
        let server = HTTPServer(configuration: configuration)
        server.register(HeldHandler.http, held.implement)
        try await server.start()
        let busy = try await RawConnection.connect(port: server.port!)
        try await busy.send("GET /held/ HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await held.waitUntilStarted(), "the held request never reached its handler")
        // Never released: shutdown gives up after shutdownTimeout and closes the connection.
        let started = ContinuousClock.now
        await server.shutdown()
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await busy.waitForClose())
        await server.shutdown()  // idempotent
        held.release()
    }

    /// A hosted task that ignores cancellation too (it awaits something that never ends, as a query a database client
    /// lost does) gets `shutdownCancellationGrace` after the deadline, then is left behind: shutdown returns. (Before,
    /// shutdown waited for it forever.)
    @Test func aHostedTaskThatIgnoresCancellationDoesNotHoldTheShutdown() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.shutdownTimeout = .milliseconds(200)
        configuration.shutdownCancellationGrace = .milliseconds(300)
        let server = HTTPServer(configuration: configuration)
        try await server.start()
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let isHosted = server.addHostedTask {
            await withCheckedContinuation { continuation in
                parked.withLock { $0 = continuation }
                startedContinuation.yield()
            }
        }
        #expect(isHosted)
        var iterator = started.makeAsyncIterator()
        await iterator.next()
        let begun = ContinuousClock.now
        await server.shutdown()
        let took = ContinuousClock.now - begun
        #expect(took >= .milliseconds(500) && took < .seconds(5), "shutdown took \(took)")
        parked.withLock { $0.take() }?.resume()  // the task ends now; nothing waits for it any more
    }

    @Test func aServerDroppedWithoutShutdownDoesNotCrashAndStopsListening() async throws {
        var port = 0
        do {
            let server = HTTPServer()
            server.register(PingApi.http, PingApi.implement)
            try await server.start()
            port = try #require(server.port)
            #expect(try await get(port, "/ping/").status == 200)
        }
        // Dropped while running: before the fix the leaked promise crashed the test process here.
        #expect(await waitUntilRefusingConnections(port: port), "a dropped server kept listening")
    }

    @Test func runsAsAServiceLifecycleService() async throws {
        let server = HTTPServer()
        server.register(PingApi.http, PingApi.implement)
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var port: Int?
            // Bounded wait for the service to bind (10 s: a loaded 2-core machine can take a while).
            for _ in 0..<1000 where port == nil {
                port = server.port
                try await Task.sleep(for: .milliseconds(10))
            }
            let observed2 = try await get(try #require(port), "/ping/").status
            #expect(observed2 == 200)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
