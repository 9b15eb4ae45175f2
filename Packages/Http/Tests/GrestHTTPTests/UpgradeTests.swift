import GrestHTTP
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Testing

/// Echoes every text/binary frame; answers close with close.
final class EchoFrames: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: frame.unmaskedData)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }
}

/// A WebSocket echo as a protocol-neutral route: the test brings the RFC 6455 accept value and NIO's frame codec,
/// as GrestWebSocket does (GrestHTTP itself knows no WebSocket).
func echoRoute(maxFrameSize: Int = 1 << 14, accept: Bool = true, tag: String = "") -> HTTPUpgradeRoute {
    HTTPUpgradeRoute(
        upgradeProtocol: "websocket",
        shouldUpgrade: { channel, head in
            guard accept, let key = head.headers["sec-websocket-key"].first else { return channel.eventLoop.makeSucceededFuture(nil) }
            return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("x-route", tag), ("Sec-WebSocket-Accept", webSocketAccept(key))]))
        },
        upgrade: { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)))
                try channel.pipeline.syncOperations.addHandler(WebSocketProtocolErrorHandler())  // 1009 for a frame over the limit
                try channel.pipeline.syncOperations.addHandler(EchoFrames())
            }
        })
}

/// `Sec-WebSocket-Accept` for the only key these tests send (RFC 6455 §1.3's example).
func webSocketAccept(_ key: String) -> String {
    key == "dGhlIHNhbXBsZSBub25jZQ==" ? "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" : "unexpected-key"
}

@Suite("Upgrade dispatcher", .timeLimit(.minutes(2)))
struct UpgradeTests {
    static func handshake(_ path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    /// A masked client frame (RFC 6455 §5.3).
    static func maskedFrame(_ text: String, opcode: UInt8 = 0x1) -> [UInt8] {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [1, 2, 3, 4]
        var bytes: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else {
            bytes.append(0x80 | 126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        bytes += mask
        bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return bytes
    }

    func serve(_ body: (Int) async throws -> Void) async throws {
        try await withServer(register: { server in
            server.register(PingApi.http, PingApi.implement)
            try server.registerUpgrade(path: "/ws/echo", echoRoute(tag: "exact"))
            try server.registerUpgrade(path: "/ws/rooms/*", echoRoute(tag: "rooms"))
            try server.registerUpgrade(path: "/ws/rooms/lobby/*", echoRoute(tag: "lobby"))
            try server.registerUpgrade(path: "/ws/tiny", echoRoute(maxFrameSize: 16, tag: "tiny"))
            try server.registerUpgrade(path: "/ws/refuse", echoRoute(accept: false))
        }) { _, port in try await body(port) }
    }

    @Test func echoesFramesAfterTheUpgrade() async throws {
        try await serve { port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(Self.handshake("/ws/echo"))
            let response = try await connection.readResponse()
            #expect(response.status == 101)
            #expect(response.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            #expect(response.header("x-route") == "exact")
            try await connection.send(Self.maskedFrame("hello"))
            let observed0 = try await connection.read(count: 7)
            #expect(observed0 == [0x81, 5] + Array("hello".utf8))
            // Plain HTTP still works on other connections.
            let observed1 = try await get(port, "/ping/").status
            #expect(observed1 == 200)
        }
    }

    @Test(arguments: [("/ws/rooms/42", "rooms"), ("/ws/rooms/lobby/1", "lobby")])
    func longestPrefixWins(path: String, tag: String) async throws {
        try await serve { port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(Self.handshake(path))
            let observed2 = try await connection.readResponse().header("x-route")
            #expect(observed2 == tag)
        }
    }

    @Test func unknownUpgradePathIs404() async throws {
        try await serve { port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(Self.handshake("/ws/nope"))
            let observed3 = try await connection.readResponse().status
            #expect(observed3 == 404)
            #expect(await connection.waitForClose())
        }
    }

    @Test func refusedUpgradeIs400() async throws {
        try await serve { port in
            let observed4 = try await rawRequest(port, Self.handshake("/ws/refuse")).status
            #expect(observed4 == 400)
        }
    }

    @Test func routeFrameLimitApplies() async throws {
        try await serve { port in
            let connection = try await RawConnection.connect(port: port)
            try await connection.send(Self.handshake("/ws/tiny"))
            let observed5 = try await connection.readResponse().status
            #expect(observed5 == 101)
            try await connection.send(Self.maskedFrame("short"))
            let observed6 = try await connection.read(count: 7)
            #expect(observed6 == [0x81, 5] + Array("short".utf8))
            try await connection.send(Self.maskedFrame(String(repeating: "z", count: 100)))
            // A close frame with 1009 (message too big), then the connection ends.
            let close = try await connection.read(count: 4)
            #expect(close == [0x88, 2, 0x03, 0xF1], "expected close 1009, got \(close)")
            #expect(await connection.waitForClose())
        }
    }

    @Test func plainHTTPToAnUpgradePathIs404() async throws {
        try await serve { port in
            // No Upgrade header: an upgrade path is not an HTTP route (documented in Packages/Http/README.md).
            let observed = try await rawRequest(port, "GET /ws/echo HTTP/1.1\r\nHost: x\r\n\r\n").status
            #expect(observed == 404)
        }
    }

    @Test func duplicatePathsFailAtRegistration() throws {
        let server = HTTPServer()
        try server.registerUpgrade(path: "/ws/a", echoRoute())
        #expect(throws: HTTPServerError.duplicateUpgradePath("/ws/a")) { try server.registerUpgrade(path: "/ws/a", echoRoute()) }
        try server.registerUpgrade(path: "/ws/*", echoRoute())
        #expect(throws: HTTPServerError.duplicateUpgradePath("/ws/*")) { try server.registerUpgrade(path: "/ws/*", echoRoute()) }
    }

    @Test func upgradesWithoutRoutesAre404() async throws {
        try await withServer(register: { $0.register(PingApi.http, PingApi.implement) }) { _, port in
            let observed7 = try await rawRequest(port, Self.handshake("/ws/echo")).status
            #expect(observed7 == 404)
        }
    }
}
