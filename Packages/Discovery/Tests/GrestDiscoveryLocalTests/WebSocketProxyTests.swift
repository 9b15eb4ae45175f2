import GrestDiscovery
import GrestDiscoveryLocal
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import NIOCore
import NIOPosix
import Synchronization
import Testing

enum EchoSocket {
    static let whoami = ContractMethod("whoami", success: IsNote)
    static let schema = webSocketSchema(SocketContract("EchoSocket", clientToServer: [whoami], serverToClient: [])).path("ws/echo").done()
}

@Suite(.timeLimit(.minutes(1)))
struct WebSocketProxyTests {
    @Test func upgradesAreTunnelledToReplicasRoundRobin() async throws {
        var servers: [HTTPServer] = []
        let router = LocalDiscoveryRouter()
        try await router.start()
        for name in ["a", "b"] {
            let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
            try server.register(EchoSocket.schema) { socket in try socket.incoming.on(EchoSocket.whoami) { Note(text: name) } }
            try await server.start()
            servers.append(server)
            try await router.registry.register([ServiceRegistration(api: "EchoSocket", scheme: .ws, port: server.port!, pathPrefix: "ws/echo", instanceID: name)])
        }
        var seen: Set<String> = []
        for _ in 0..<2 {
            let client = EchoSocket.schema.createClient(url: "ws://127.0.0.1:\(router.port!)")
            try await client.connect()
            let first = try await client.outgoing.call(EchoSocket.whoami).text
            // The same socket stays on its replica for every call.
            #expect(try await client.outgoing.call(EchoSocket.whoami).text == first)
            seen.insert(first)
            await client.close()
        }
        #expect(seen == ["a", "b"])
        await router.shutdown()
        for server in servers { await server.shutdown() }
    }
}

/// A slow client must not make the router buffer what the upstream sends: the tunnel stops reading the upstream
/// while the client's side is full, and reads again once the client drains.
@Suite(.timeLimit(.minutes(1)))
struct WebSocketTunnelBackpressureTests {
    @Test func aClientThatStopsReadingStopsTheUpstreamInsteadOfFillingTheRouter() async throws {
        let flood = Flood.Counter()
        let upstream = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Flood(counter: flood)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let router = LocalDiscoveryRouter()
        try await router.start()
        try await router.registry.register([
            ServiceRegistration(api: "Flood", scheme: .ws, port: upstream.localAddress!.port!, pathPrefix: "ws/flood", instanceID: "f")
        ])

        // A client that sends the upgrade and then reads nothing.
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .connect(host: "127.0.0.1", port: router.port!).get()
        try await client.writeAndFlush(
            ByteBuffer(string: "GET /ws/flood HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))

        #expect(try await flood.waitUntil { $0 > 0 }, "the upstream started sending")
        let stalled = try await flood.waitUntilStalled()
        #expect(stalled < 48 << 20, "the upstream was held back by socket buffers, not absorbed by the router (\(stalled >> 20) MiB sent)")

        // The client drains: the held reads resume and the upstream moves on.
        try await client.setOption(.autoRead, value: true).get()
        client.read()
        let resumed = try await flood.waitUntil { $0 >= stalled + (8 << 20) }
        #expect(resumed, "the tunnel reads the upstream again once the client drains")

        try await client.close()
        try await upstream.close()
        await router.shutdown()
    }
}

/// Replies to the first bytes it receives with an endless stream of 64 KiB chunks, as fast as its socket takes them
/// (up to 256 MiB), counting what it handed over.
final class Flood: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    final class Counter: Sendable {
        let bytes = Atomic<Int>(0)

        /// Waits until the count has not moved for 300 ms (or reached the cap), and returns it. Call once it moved.
        func waitUntilStalled() async throws -> Int {
            var last = -1
            while true {
                let now = bytes.load(ordering: .relaxed)
                if now == last || now >= Flood.cap { return now }
                last = now
                try await Task.sleep(for: .milliseconds(300))
            }
        }

        /// Waits (10 s at most) until `condition` holds for the count.
        func waitUntil(_ condition: (Int) -> Bool) async throws -> Bool {
            let start = ContinuousClock.now
            while !condition(bytes.load(ordering: .relaxed)) {
                if ContinuousClock.now - start > .seconds(10) { return false }
                try await Task.sleep(for: .milliseconds(20))
            }
            return true
        }
    }

    static let cap = 256 << 20
    private let counter: Counter
    private var started = false
    private var pumping = false

    init(counter: Counter) {
        self.counter = counter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !started else { return }
        started = true
        pump(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump(context)
        context.fireChannelWritabilityChanged()
    }

    private func pump(_ context: ChannelHandlerContext) {
        guard started, !pumping else { return }
        pumping = true
        defer { pumping = false }
        let chunk = ByteBuffer(repeating: 0x61, count: 64 << 10)
        while context.channel.isWritable, counter.bytes.load(ordering: .relaxed) < Self.cap {
            context.writeAndFlush(NIOAny(chunk), promise: nil)
            counter.bytes.add(chunk.readableBytes, ordering: .relaxed)
        }
    }
}
