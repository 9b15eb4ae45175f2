import GrestHTTP
import GrestSchema
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test func inFlightFinishesAndNewRequestsGet503() async throws {
        let server = HTTPServer()
        server.register(ItemsApi.http, ItemsApi.implement)
        try await server.start()
        let port = server.port!
        let busy = try await RawConnection.connect(port: port)
        let idle = try await RawConnection.connect(port: port)
        try await idle.send("GET /api/items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let observed0 = try await idle.readResponse().status
        #expect(observed0 == 200)
        try await busy.send("GET /api/items/slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(100))

        let shutdown = Task { await server.shutdown() }
        try await Task.sleep(for: .milliseconds(100))
        try await idle.send("GET /api/items/2 HTTP/1.1\r\nHost: x\r\n\r\n")
        let observed1 = try await idle.readResponse().status
        #expect(observed1 == 503)
        await #expect(throws: (any Error).self) { _ = try await RawConnection.connect(port: port) }

        let slow = try await busy.readResponse()
        #expect(slow.status == 200)
        #expect(slow.json["data"]?["ms"] == .number(3000))
        await shutdown.value
        #expect(await busy.waitForClose())
    }

    @Test func shutdownIsBounded() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.shutdownTimeout = .milliseconds(200)
        let server = HTTPServer(configuration: configuration)
        server.register(ItemsApi.http, ItemsApi.implement)
        try await server.start()
        let busy = try await RawConnection.connect(port: server.port!)
        try await busy.send("GET /api/items/slow?ms=10000 HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        await server.shutdown()
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(await busy.waitForClose())
        await server.shutdown()  // idempotent
    }

    @Test func runsAsAServiceLifecycleService() async throws {
        let server = HTTPServer()
        server.register(PingApi.http, PingApi.implement)
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var port: Int?
            for _ in 0..<200 where port == nil {
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
