import GrestContext
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
@testable import GrestWebSocketCore
import GrestWebSocketTransport
import CoreMetrics
import MetricsTestKit
import NIOCore
import Testing

@Suite("Socket pool, metrics, direct start, scripted server", .timeLimit(.minutes(2)))
struct SocketPoolAndMetricsTests {
    @Test func pooledClientsShareOneSocket() async throws {
        let connections = Inbox<Int>()
        let server = try await PublicChat.startServer { socket in
            connections.add(1)
            try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            try await socket.outgoing.call(ChatApi.newMessage, "welcome")
        }
        let port = try #require(server.port)
        let pool = SocketClientPool()
        var configuration = SocketClientConfiguration()
        configuration.pool = pool
        configuration.middleware = [BearerAuth(getToken: { "secret-token" })]
        let a = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let b = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let welcomes = Inbox<String>()
        try a.incoming.on(ChatApi.newMessage) { welcomes.add($0) }
        async let first: Void = a.connect()
        async let second: Void = b.connect()
        _ = try await (first, second)
        #expect(await pool.size == 1)
        #expect(await pool.pendingSize == 0)
        #expect(connections.all.count == 1)
        let key = try #require(await pool.connectionKeys.first)
        #expect(!key.description.contains("secret-token"), "keys hash the handshake headers")
        #expect(await pool.handleCount(for: key) == 2)
        // Two pooled clients may not handle the same method.
        #expect(throws: SocketRegistrationError.self) { try b.incoming.on(ChatApi.newMessage) { _ in } }

        #expect(try await b.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "b", channelId: "c")).messageId == "b")
        await a.disconnect()
        #expect(await pool.size == 1)
        #expect(try await b.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "b2", channelId: "c")).messageId == "b2")
        #expect(!a.isConnected)
        await b.disconnect()
        #expect(await pool.size == 0)

        // A dedicated client (no pool) gets its own socket.
        let dedicated = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
        try await dedicated.connect()
        #expect(connections.all.count == 2)
        await dedicated.close()
        await server.shutdown()
    }

    @Test func metricsHaveBoundedLabels() async throws {
        let metrics = TestMetrics()
        var http = HTTPServerConfiguration()
        http.metricsFactory = metrics
        try await withServer(configuration: http, { server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { request in
                    if request.channelId == "full" { throw ROOM_FULL() }
                    return SendMessageResponse(success: true, messageId: "1")
                }
                try socket.incoming.on(ChatApi.markAsRead) { _ in }
            }
        }) { port in
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            _ = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "a", channelId: "c"))
            _ = await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "a", channelId: "full"))
            _ = try await client.outgoing.send(route: "PublicChat.\(UInt64.random(in: 0...UInt64.max))", data: nil, expectResponse: true)
            await client.disconnect()
            // A second, hand-typed connection: connections_total counts both.
            var raw = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            try await raw.send("h:::{}")
            #expect(await raw.next() == "k:::null")
            _ = try await raw.connection.close()
        }
        let base = [("api", "PublicChat"), ("path", "/ws/public")]
        let send = base + [("method", "PublicChat.sendMessage")]
        #expect(try metrics.expectCounter("grest_ws_requests_total", send + [("result", "OK")]).totalValue == 1)
        #expect(try metrics.expectCounter("grest_ws_requests_total", send + [("result", "ROOM_FULL")]).totalValue == 1)
        #expect(try metrics.expectCounter("grest_ws_requests_total", base + [("method", "unknown"), ("result", "ROUTE_NOT_FOUND")]).totalValue == 1)
        #expect(try metrics.expectTimer("grest_ws_request_duration_seconds", send).values.count == 2)
        #expect(try metrics.expectCounter("grest_ws_connections_total", base + [("result", "OK")]).totalValue == 2)
        // The server ends a connection's bookkeeping asynchronously after the close: wait for it.
        let active = try metrics.expectMeter("grest_ws_connections_active", base)
        for _ in 0..<200 where active.values.last != 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(active.values.last == 0)
        // Every `method` label is a declared route or "unknown": the random route the client sent never became one.
        let declared = Set((PublicChat.contract.clientToServer + PublicChat.contract.serverToClient).map(\.route) + ["unknown"])
        let methods = metrics.counters(label: "grest_ws_requests_total").flatMap(\.dimensions).filter { $0.0 == "method" }.map(\.1)
        #expect(!methods.isEmpty)
        #expect(Set(methods).isSubset(of: declared), "no label value comes from the peer")
    }

    @Test("only metrics made by swift-metrics' no-op factory say they record nothing; no factory takes MetricsSystem's")
    func noOpMetricsAreNotRecording() throws {
        #expect(!SocketMetrics(contract: PublicChat.contract, path: "/ws/public", factory: NOOPMetricsHandler.instance).isRecording)
        let metrics = TestMetrics()
        #expect(SocketMetrics(contract: PublicChat.contract, path: "/ws/public", factory: metrics).isRecording)
        // No factory takes `MetricsSystem.factory` as it is at that moment (here bound to the task), and the metrics go there.
        let taken = withMetricsFactory(metrics) { SocketMetrics(contract: PublicChat.contract, path: "/ws/public", factory: nil) }
        #expect(taken.isRecording)
        taken.inbound(route: "PublicChat.sendMessage", result: "OK", nanoseconds: 1_000)
        let send = [("api", "PublicChat"), ("path", "/ws/public"), ("method", "PublicChat.sendMessage")]
        #expect(try metrics.expectCounter("grest_ws_requests_total", send + [("result", "OK")]).totalValue == 1)
        #expect(try metrics.expectTimer("grest_ws_request_duration_seconds", send).values == [1_000])
    }

    /// The per-message path skips metrics by `peer.metrics == nil`: a connection's peer keeps a recording factory's
    /// metrics and drops the no-op factory's.
    @Test(arguments: [false, true])
    func aPeerKeepsOnlyRecordingMetrics(recording: Bool) async throws {
        var http = HTTPServerConfiguration()
        http.metricsFactory = recording ? TestMetrics() : NOOPMetricsHandler.instance
        let (kept, report) = AsyncStream.makeStream(of: Bool.self)
        try await withServer(configuration: http, { server in
            try server.register(PublicChat) { socket in report.yield(socket.peer.metrics != nil) }
        }) { port in
            var raw = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            try await raw.send("h:::{}")
            #expect(await raw.next() == "k:::null")
            _ = try await raw.connection.close()
        }
        report.finish()
        var reports: [Bool] = []
        for await peerKeptMetrics in kept { reports.append(peerKeptMetrics) }
        #expect(reports == [recording])
    }

    @Test func clientAgainstAScriptedServer() async throws {
        // A plain WebSocket server that speaks the wire protocol by hand, the way a grest-ts server would.
        let server = HTTPServer()
        let seen = Inbox<String>()
        try server.registerWebSocket(path: "/ws/public") { connection in
            var iterator = connection.inbound.makeAsyncIterator()
            guard case .text(let hello)? = await iterator.next() else { return }
            seen.add(hello)
            try? await connection.send(text: "k:::")
            try? await connection.send(text: "m:PublicChat.newMessage::\"pushed\"")
            try? await connection.send(text: "r:PublicChat.areYouThere:1:")
            try? await connection.send(text: "p:::")
            while case .text(let text)? = await iterator.next() {
                seen.add(text)
                if text.hasPrefix("r:PublicChat.sendMessage:") {
                    let id = text.split(separator: ":", maxSplits: 3)[2]
                    // An error type the contract does not list: the client reads SERVER_ERROR "Invalid response".
                    let body = id == "1" ? #"{"success":true,"type":"OK","data":{"success":true,"messageId":"x"}}"# : #"{"success":false,"type":"WEIRD","statusCode":418,"context":{}}"#
                    try? await connection.send(text: "s:PublicChat.sendMessage:\(id):\(body)")
                    // And an answer to an id nobody asked for, which must be ignored.
                    try? await connection.send(text: "s:PublicChat.sendMessage:99:{}")
                }
            }
        }
        try await server.start()
        let port = try #require(server.port)
        var configuration = SocketClientConfiguration()
        configuration.middleware = [BearerAuth(getToken: { "t" })]
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let pushes = Inbox<String>()
        try client.incoming.on(ChatApi.newMessage) { pushes.add($0) }
        try client.incoming.on(ChatApi.areYouThere) { true }
        try await client.connect()
        #expect(await pushes.wait(for: 1) == ["pushed"])
        #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "1", channelId: "c")).messageId == "x")
        let weird = await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "2", channelId: "c")).error
        #expect(weird?.type == "SERVER_ERROR")
        #expect(weird?.displayMessage == "Invalid response")
        let frames = await seen.wait(for: 5)
        #expect(frames.first == #"h:::{"authorization":"Bearer t"}"#)
        #expect(frames.contains(#"s:PublicChat.areYouThere:1:{"success":true,"type":"OK","data":true}"#))
        #expect(frames.contains("o:::"))
        await client.close()
        await server.shutdown()
    }

    @Test func deflateIsNegotiatedByDefault() async throws {
        let extensions = Inbox<Int>()
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                extensions.add(socket.info.extensions.count)
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            }
        }) { port in
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            let long = String(repeating: "compress me ", count: 1_000)
            #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: long, channelId: "c")).messageId == long)
            #expect(extensions.all == [1])
            await client.disconnect()
        }
    }
}
