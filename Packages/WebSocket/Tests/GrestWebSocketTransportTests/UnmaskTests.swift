import NIOCore
import NIOWebSocket
import Testing

@testable import GrestWebSocketTransport

@Suite("Unmasking (RFC 6455 §5.3)")
struct UnmaskTests {
    @Test("matches NIO's byte-wise unmasking for every length around the word size and every key phase", arguments: 0...3)
    func matchesNIO(indexOffset: Int) {
        let key: WebSocketMaskingKey = [0x12, 0x9A, 0xF0, 0x3C]
        for length in 0...80 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var prefix = ByteBuffer(repeating: 0xEE, count: 5)
            prefix.moveReaderIndex(forwardBy: 5)  // a non-zero reader index, like a slice of the decoder's buffer
            prefix.writeBytes(bytes)
            var expected = prefix
            expected.webSocketUnmask(key, indexOffset: indexOffset)
            #expect(prefix.unmasked(key, indexOffset: indexOffset) == expected, "length \(length)")
        }
    }

    @Test("single-frame text unmasks into a String; all-ASCII, multi-byte and invalid payloads of every length")
    func text() {
        let key: WebSocketMaskingKey = [0x80, 0x01, 0xFF, 0x7F]
        for length in 0...70 {
            let ascii = String(repeating: "a", count: length)
            let multiByte = String(repeating: "a", count: length) + "κ🎉"
            for (text, masked) in [(ascii, true), (multiByte, true), (ascii, false), (multiByte, false)] {
                var data = ByteBuffer(string: text)
                if masked { data.webSocketMask(key) }
                let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: masked ? key : nil, data: data)
                #expect(frame.unmaskedText() == text, "length \(length)")
            }
            var invalid = ByteBuffer(string: String(repeating: "a", count: length))
            invalid.writeBytes([0xED, 0xA0, 0x80])  // a UTF-16 surrogate
            invalid.webSocketMask(key)
            #expect(WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: invalid).unmaskedText() == nil)
            var truncated = ByteBuffer(string: String(repeating: "a", count: length))
            truncated.writeBytes([0xF0, 0x9F])  // ends mid-scalar
            #expect(WebSocketFrame(fin: true, opcode: .text, data: truncated).unmaskedText() == nil)
        }
    }

    @Test("a frame's unmasked payload round-trips what the peer masked")
    func roundTrip() {
        var data = ByteBuffer(string: String(repeating: "grest ✓ ", count: 100))
        let original = data
        let key = WebSocketMaskingKey.random()
        data.webSocketMask(key)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: key, data: data)
        #expect(frame.unmaskedPayload == original)
        #expect(WebSocketFrame(fin: true, opcode: .text, data: original).unmaskedPayload == original)
    }
}
