import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import WebSocketCompression

@testable import GrestWebSocketTransport
import NIOHTTP1

/// Bad input against the server-side handler, byte by byte through NIO's real frame decoder.
@Suite("WebSocketChannelHandler bad input", .timeLimit(.minutes(2)))
struct WebSocketChannelHandlerTests {
    struct Harness {
        let channel: EmbeddedChannel
        let connection: WebSocketConnection

        init(configuration: WebSocketConfiguration = WebSocketConfiguration(), compression: WebSocketNegotiatedCompression? = nil) throws {
            self.channel = EmbeddedChannel()
            try self.channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
            try self.channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: configuration.maxFrameSize))
            )
            let info = WebSocketConnectionInfo(
                isServer: true, remoteAddress: nil, localAddress: nil, uri: "/", requestHeaders: [:], responseHeaders: [:], extensions: []
            )
            self.connection = try WebSocketConnection.install(
                on: self.channel, role: .server, configuration: configuration, compression: compression, info: info
            )
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// Sends one client frame: `firstByte` carries FIN, RSV and opcode exactly as on the wire.
        func send(firstByte: UInt8, payload: [UInt8], masked: Bool = true) throws {
            var buffer = ByteBuffer()
            buffer.writeInteger(firstByte)
            let maskBit: UInt8 = masked ? 0x80 : 0
            switch payload.count {
            case 0...125: buffer.writeInteger(UInt8(payload.count) | maskBit)
            case 126...0xFFFF:
                buffer.writeInteger(126 | maskBit)
                buffer.writeInteger(UInt16(payload.count))
            default:
                buffer.writeInteger(127 | maskBit)
                buffer.writeInteger(UInt64(payload.count))
            }
            if masked {
                let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
                buffer.writeBytes(key)
                buffer.writeBytes(payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
            } else {
                buffer.writeBytes(payload)
            }
            try self.channel.writeInbound(buffer)
        }

        /// Every frame the server wrote, as (opcode, payload).
        func written() throws -> [(opcode: UInt8, rsv1: Bool, payload: ByteBuffer)] {
            var all = ByteBuffer()
            while var part = try self.channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&part) }
            var frames: [(UInt8, Bool, ByteBuffer)] = []
            while let first = all.readInteger(as: UInt8.self), let second = all.readInteger(as: UInt8.self) {
                var length = Int(second & 0x7F)
                if length == 126 { length = Int(all.readInteger(as: UInt16.self)!) }
                if length == 127 { length = Int(all.readInteger(as: UInt64.self)!) }
                frames.append((first & 0x0F, first & 0x40 != 0, all.readSlice(length: length)!))
            }
            return frames
        }

        /// The close code the server sent, and whether it then closed the socket.
        func closeCode() throws -> UInt16? {
            guard let close = try self.written().last(where: { $0.opcode == 0x8 }) else { return nil }
            return close.payload.getInteger(at: close.payload.readerIndex, as: UInt16.self)
        }

        var isClosed: Bool { !self.channel.isActive }
    }

    @Test(
        "each violation gets its RFC close code and the socket is closed",
        arguments: [
            ("unmasked client frame", UInt8(0x81), Array("hi".utf8), false, UInt16(1002)),
            ("RSV2 set", 0xA1, Array("hi".utf8), true, 1002),
            ("RSV3 set", 0x91, Array("hi".utf8), true, 1002),
            ("RSV1 without deflate", 0xC1, Array("hi".utf8), true, 1002),
            ("reserved opcode 3", 0x83, [], true, 1002),
            ("reserved opcode 0xB", 0x8B, [], true, 1002),
            ("fragmented ping", 0x09, [], true, 1002),
            ("ping over 125 bytes", 0x89, Array(repeating: 0, count: 126), true, 1002),
            ("invalid UTF-8 text", 0x81, [0xCE, 0xBA, 0xED, 0xA0, 0x80], true, 1007),
            ("invalid close reason", 0x88, [0x03, 0xE8, 0xC0, 0x80], true, 1007),
            ("close code 1006 on the wire", 0x88, [0x03, 0xEE], true, 1002),
            ("continuation without message", 0x80, [1], true, 1002),
        ] as [(String, UInt8, [UInt8], Bool, UInt16)]
    )
    func violation(name: String, firstByte: UInt8, payload: [UInt8], masked: Bool, code: UInt16) throws {
        let harness = try Harness()
        try harness.send(firstByte: firstByte, payload: payload, masked: masked)
        #expect(try harness.closeCode() == code, "\(name)")
        #expect(harness.isClosed)
    }

    @Test("behind an unwritable socket a full queue refuses a waiting sender, but queues a fast-path message instead of dropping it")
    func fullQueueAndReservedSends() throws {
        var configuration = WebSocketConfiguration()
        configuration.outbound.maxQueuedBytes = 100
        let harness = try Harness(configuration: configuration)
        let handler = try harness.channel.pipeline.syncOperations.handler(type: WebSocketChannelHandler.self)
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()

        guard case .queued(let first) = handler.send(.binary(ByteBuffer(repeating: 1, count: 90))) else {
            Issue.record("an unwritable socket queues")
            return
        }
        guard case .failed(let error) = handler.send(.binary(ByteBuffer(repeating: 2, count: 20))) else {
            Issue.record("past maxQueuedBytes a waiting sender is refused")
            return
        }
        #expect(error as? WebSocketError == .outboundQueueFull)
        // A fast-path message: its sender already returned, so refusing it would lose it unseen.
        guard case .queued(let third) = handler.send(.binary(ByteBuffer(repeating: 3, count: 20)), isReserved: true) else {
            Issue.record("a reserved message is queued past the limit")
            return
        }

        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        try first.wait()
        try third.wait()
        let frames = try harness.written()
        #expect(frames.map(\.payload) == [ByteBuffer(repeating: 1, count: 90), ByteBuffer(repeating: 3, count: 20)])
    }

    @Test("trusted text goes out as a text frame with its bytes untouched, and counts against the queue bound like text")
    func trustedTextFrames() throws {
        var configuration = WebSocketConfiguration()
        configuration.outbound.maxQueuedBytes = 100
        let harness = try Harness(configuration: configuration)
        let handler = try harness.channel.pipeline.syncOperations.handler(type: WebSocketChannelHandler.self)
        let text = ByteBuffer(string: "s:ChatApi.sendMessage:7:{\"success\":true,\"data\":\"✓\"}")
        guard case .written = handler.send(.trustedText(text)) else {
            Issue.record("a writable socket writes at once")
            return
        }
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        guard case .queued(let queued) = handler.send(.trustedText(text)) else {
            Issue.record("an unwritable socket queues")
            return
        }
        guard case .failed(let error) = handler.send(.trustedText(ByteBuffer(repeating: 0x61, count: 90))) else {
            Issue.record("past maxQueuedBytes a waiting sender is refused")
            return
        }
        #expect(error as? WebSocketError == .outboundQueueFull)
        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        try queued.wait()
        let frames = try harness.written()
        #expect(frames.map(\.opcode) == [0x1, 0x1])
        #expect(frames.map(\.payload) == [text, text])
    }

    @Test("oversized frame closes with 1009 before its payload is buffered")
    func oversizedFrame() throws {
        var configuration = WebSocketConfiguration()
        configuration.maxFrameSize = 1024
        let harness = try Harness(configuration: configuration)
        var header = ByteBuffer(bytes: [0x82, 0xFF])
        header.writeInteger(UInt64(1 << 40))  // announces a terabyte
        try harness.channel.writeInbound(header)
        #expect(try harness.closeCode() == 1009)
        #expect(harness.isClosed)
    }

    @Test("oversized fragmented message closes with 1009")
    func oversizedMessage() throws {
        var configuration = WebSocketConfiguration()
        configuration.maxMessageSize = 1000
        let harness = try Harness(configuration: configuration)
        try harness.send(firstByte: 0x02, payload: Array(repeating: 1, count: 600))
        try harness.send(firstByte: 0x80, payload: Array(repeating: 1, count: 600))
        #expect(try harness.closeCode() == 1009)
    }

    @Test("a zip bomb closes with 1009 after at most the message limit")
    func zipBomb() throws {
        var configuration = WebSocketConfiguration()
        configuration.maxMessageSize = 4 << 20
        let negotiated = PerMessageDeflate().negotiateAsServer(offers: [WebSocketExtensionHeader(name: "permessage-deflate")])!
        let harness = try Harness(configuration: configuration, compression: negotiated)
        // 64 MiB of zeros deflate to ~64 KiB (ratio ~1000:1).
        let codec = negotiated.makeCodec(false)
        let bomb = try codec.compress(ByteBuffer(repeating: 0, count: 64 << 20), allocator: ByteBufferAllocator())!
        try harness.send(firstByte: 0xC2, payload: Array(bomb.readableBytesView))
        #expect(try harness.closeCode() == 1009)
        #expect(harness.isClosed)
    }

    @Test("pings are answered, fragmented messages with interleaved control frames are delivered")
    func pingAndFragments() async throws {
        let harness = try Harness()
        try harness.send(firstByte: 0x01, payload: Array("Hel".utf8))
        try harness.send(firstByte: 0x89, payload: [7, 7])
        try harness.send(firstByte: 0x80, payload: Array("lo".utf8))
        let pong = try #require(try harness.written().first)
        #expect(pong.opcode == 0xA && pong.payload == ByteBuffer(bytes: [7, 7]))
        var iterator = harness.connection.inbound.makeAsyncIterator()
        #expect(await iterator.next() == .text("Hello"))
    }

    @Test("peer close is echoed and ends the inbound sequence")
    func peerClose() async throws {
        let harness = try Harness()
        try harness.send(firstByte: 0x88, payload: [0x0F, 0xA0] + Array("done".utf8))
        #expect(try harness.closeCode() == 4000)
        var iterator = harness.connection.inbound.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        #expect(harness.isClosed)
    }
}
