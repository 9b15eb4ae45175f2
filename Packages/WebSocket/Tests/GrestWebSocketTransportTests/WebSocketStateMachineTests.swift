import NIOCore
import NIOWebSocket
import Testing

@testable import GrestWebSocketTransport

@Suite("WebSocketStateMachine")
struct WebSocketStateMachineTests {
    typealias Action = WebSocketStateMachine.ReceiveAction

    private func machine(maxMessageSize: Int = 1 << 20, compression: Bool = false, role: WebSocketStateMachine.Role = .server) -> WebSocketStateMachine {
        var configuration = WebSocketConfiguration()
        configuration.maxMessageSize = maxMessageSize
        return WebSocketStateMachine(role: role, limits: .init(configuration), isCompressionNegotiated: compression)
    }

    private func frame(
        _ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false, masked: Bool = true
    ) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        let key: WebSocketMaskingKey? = masked ? [1, 2, 3, 4] : nil
        if let key { data.webSocketMask(key) }
        return WebSocketFrame(fin: fin, rsv1: rsv1, rsv2: rsv2, opcode: opcode, maskKey: key, data: data)
    }

    private func failCode(_ action: Action) -> UInt16? {
        if case .fail(let code, _, _) = action { return code.rawValue }
        return nil
    }

    @Test("fragmented text with an interleaved ping")
    func fragmentation() {
        var machine = self.machine()
        let result1 = machine.receive(self.frame(.text, Array("Hel".utf8), fin: false))
        #expect(result1 == .none)
        let result2 = machine.receive(self.frame(.ping, [9]))
        #expect(result2 == .sendPong(ByteBuffer(bytes: [9])))
        let result3 = machine.receive(self.frame(.continuation, Array("lo".utf8), fin: false))
        #expect(result3 == .none)
        let result4 = machine.receive(self.frame(.continuation, [], fin: true))
        #expect(result4 == .deliver(.text("Hello")))
        let result5 = machine.receive(self.frame(.binary, [1, 2]))
        #expect(result5 == .deliver(.binary(ByteBuffer(bytes: [1, 2]))))
    }

    @Test(
        "protocol violations close with 1002",
        arguments: [
            "rsv2", "rsv1 without extension", "reserved data opcode", "reserved control opcode", "unmasked", "fragmented ping",
            "long ping", "continuation first", "text inside fragmented", "one-byte close", "close 1005", "close 999", "rsv1 on ping",
        ]
    )
    func protocolErrors(name: String) {
        var machine = self.machine()
        let action: Action
        switch name {
        case "rsv2": action = machine.receive(self.frame(.text, [], rsv2: true))
        case "rsv1 without extension": action = machine.receive(self.frame(.text, [], rsv1: true))
        case "reserved data opcode": action = machine.receive(self.frame(WebSocketOpcode(encodedWebSocketOpcode: 3)!, []))
        case "reserved control opcode": action = machine.receive(self.frame(WebSocketOpcode(encodedWebSocketOpcode: 0xB)!, []))
        case "unmasked": action = machine.receive(self.frame(.text, [], masked: false))
        case "fragmented ping": action = machine.receive(self.frame(.ping, [], fin: false))
        case "long ping": action = machine.receive(self.frame(.ping, Array(repeating: 0, count: 126)))
        case "continuation first": action = machine.receive(self.frame(.continuation, []))
        case "text inside fragmented":
            _ = machine.receive(self.frame(.text, [0x41], fin: false))
            action = machine.receive(self.frame(.text, [0x41]))
        case "one-byte close": action = machine.receive(self.frame(.connectionClose, [0x03]))
        case "close 1005": action = machine.receive(self.frame(.connectionClose, [0x03, 0xED]))
        case "close 999": action = machine.receive(self.frame(.connectionClose, [0x03, 0xE7]))
        default: action = machine.receive(self.frame(.ping, [], rsv1: true))
        }
        #expect(self.failCode(action) == 1002)
        #expect(machine.isClosed)
        // Once failed, nothing else happens.
        let result6 = machine.receive(self.frame(.text, [0x41]))
        #expect(result6 == .none)
    }

    @Test("a client rejects masked frames")
    func clientRejectsMasked() {
        var machine = self.machine(role: .client)
        let result7 = machine.receive(self.frame(.text, [0x41], masked: true))
        #expect(self.failCode(result7) == 1002)
    }

    @Test("invalid UTF-8 fails fast with 1007, before the message completes")
    func invalidUTF8() {
        var machine = self.machine()
        let result8 = machine.receive(self.frame(.text, [0xCE, 0xBA], fin: false))
        #expect(result8 == .none)
        let result9 = machine.receive(self.frame(.continuation, [0xED, 0xA0, 0x80], fin: false))
        #expect(self.failCode(result9) == 1007)
    }

    @Test("a text message ending mid-scalar fails with 1007")
    func truncatedUTF8() {
        var machine = self.machine()
        let result10 = machine.receive(self.frame(.text, [0xF0, 0x9F]))
        #expect(self.failCode(result10) == 1007)
    }

    @Test("a single-frame text message is validated as a whole: valid is delivered, invalid fails with 1007")
    func singleFrameUTF8() {
        var machine = self.machine()
        let valid = machine.receive(self.frame(.text, Array("κόσμε, ascii, 🎉".utf8)))
        #expect(valid == .deliver(.text("κόσμε, ascii, 🎉")))
        let invalid = machine.receive(self.frame(.text, Array("ascii".utf8) + [0xED, 0xA0, 0x80]))
        #expect(self.failCode(invalid) == 1007)
    }

    @Test("close reason must be UTF-8 (1007)")
    func closeReason() {
        var machine = self.machine()
        let result11 = machine.receive(self.frame(.connectionClose, [0x03, 0xE8, 0xFF]))
        #expect(self.failCode(result11) == 1007)
    }

    @Test("messages over the limit close with 1009, counted across fragments")
    func tooBig() {
        var machine = self.machine(maxMessageSize: 10)
        let result12 = machine.receive(self.frame(.binary, Array(repeating: 0, count: 6), fin: false))
        #expect(result12 == .none)
        let result13 = machine.receive(self.frame(.continuation, Array(repeating: 0, count: 5)))
        #expect(self.failCode(result13) == 1009)
        var exact = self.machine(maxMessageSize: 10)
        let result14 = exact.receive(self.frame(.binary, Array(repeating: 0, count: 10)))
        #expect(result14 == .deliver(.binary(ByteBuffer(repeating: 0, count: 10))))
    }

    @Test("close handshake: peer-initiated is echoed, ours completes on the reply")
    func closeHandshake() {
        var peer = self.machine()
        let result15 = peer.receive(self.frame(.connectionClose, [0x0F, 0xA0] + Array("bye".utf8)))
        #expect(result15 == .replyToClose(WebSocketCloseCode(4000)))
        #expect(peer.peerClose == WebSocketCloseInfo(code: WebSocketCloseCode(4000), reason: "bye", wasClean: true))
        var empty = self.machine()
        let result16 = empty.receive(self.frame(.connectionClose, []))
        #expect(result16 == .replyToClose(.normalClosure))

        var ours = self.machine()
        let result17 = ours.close(code: .normalClosure, reason: "")
        #expect(result17 == .sendClose(.normalClosure, reason: ""))
        #expect(!ours.canSend)
        let result18 = ours.close(code: .normalClosure, reason: "")
        #expect(result18 == .alreadyClosing)
        // Data after our close is dropped, pings are not answered, the reply completes the handshake.
        let result19 = ours.receive(self.frame(.text, [0x41]))
        #expect(result19 == .none)
        let result20 = ours.receive(self.frame(.ping, []))
        #expect(result20 == .none)
        let result21 = ours.receive(self.frame(.connectionClose, [0x03, 0xE8]))
        #expect(result21 == .closeHandshakeCompleted)
    }

    @Test("compressed messages go through inflate with a size and ratio budget")
    func compressed() {
        var configuration = WebSocketConfiguration()
        configuration.maxMessageSize = 1 << 20
        configuration.maxDecompressionRatio = 10
        configuration.decompressionRatioFloor = 100
        var machine = WebSocketStateMachine(role: .server, limits: .init(configuration), isCompressionNegotiated: true)
        // 5 compressed bytes: the floor (100) applies, not 5 × 10.
        guard case .inflate(_, false, let limit) = machine.receive(self.frame(.text, [1, 2, 3, 4, 5], fin: false, rsv1: true)) else {
            Issue.record("expected inflate")
            return
        }
        #expect(limit == 100)
        let result22 = machine.receiveInflated(ByteBuffer(string: "abc"), isFinal: false)
        #expect(result22 == .none)
        let result23 = machine.receive(self.frame(.continuation, [1], rsv1: true))
        #expect(self.failCode(result23) == 1002)

        var second = WebSocketStateMachine(role: .server, limits: .init(configuration), isCompressionNegotiated: true)
        _ = second.receive(self.frame(.binary, [1], rsv1: true))
        let result24 = second.inflateFailed(.limitExceeded)
        #expect(self.failCode(result24) == 1009)
    }

    @Test("decoder errors map to close codes")
    func decoderErrors() {
        var a = self.machine()
        let result25 = a.decoderFailed(.invalidFrameLength)
        #expect(self.failCode(result25) == 1009)
        var b = self.machine()
        let result26 = b.decoderFailed(.fragmentedControlFrame)
        #expect(self.failCode(result26) == 1002)
        var c = self.machine()
        let result27 = c.decoderFailed(.multiByteControlFrameLength)
        #expect(self.failCode(result27) == 1002)
    }
}
