import NIOCore
import Testing

@testable import GrestWebSocketTransport
import NIOHTTP1

@Suite("Incremental UTF-8 validation")
struct UTF8ValidatorTests {
    @Test("valid text passes when split at every byte boundary")
    func validAcrossSplits() {
        let bytes = Array("ascii κόσμε 日本語 🎉 \u{10FFFF} end".utf8)
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            let valid1 = validator.validate(ByteBuffer(bytes: bytes[..<split]))
            #expect(valid1)
            let valid2 = validator.validate(ByteBuffer(bytes: bytes[split...]))
            #expect(valid2)
            #expect(validator.isComplete)
        }
    }

    @Test(
        "invalid sequences fail on the first impossible byte",
        arguments: [
            ([0xC0, 0x80], 1),  // overlong 2-byte lead
            ([0xE0, 0x80], 2),  // overlong 3-byte
            ([0xED, 0xA0], 2),  // UTF-16 surrogate
            ([0xF4, 0x90], 2),  // above U+10FFFF
            ([0xF5], 1),
            ([0x80], 1),  // stray continuation
            ([0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80], 13),  // Autobahn 6.4.1 style
        ]
    )
    func failsFast(bytes: [UInt8], failingLength: Int) {
        var validator = UTF8Validator()
        let valid3 = validator.validate(ByteBuffer(bytes: bytes[..<(failingLength - 1)]))
        #expect(valid3)
        let valid4 = validator.validate(ByteBuffer(bytes: bytes[(failingLength - 1)..<failingLength]))
        #expect(!valid4)
    }

    @Test("a truncated scalar is incomplete, not invalid")
    func truncated() {
        var validator = UTF8Validator()
        let valid5 = validator.validate(ByteBuffer(bytes: [0xF0, 0x9F, 0x8E]))
        #expect(valid5)
        #expect(!validator.isComplete)
    }
}

@Suite("Close codes (RFC 6455 §7.4)")
struct WebSocketCloseCodeTests {
    @Test("wire validity", arguments: [
        (UInt16(0), false), (999, false), (1000, true), (1001, true), (1002, true), (1003, true), (1004, false), (1005, false),
        (1006, false), (1007, true), (1011, true), (1012, true), (1014, true), (1015, false), (1016, false), (1100, false),
        (2000, false), (2999, false), (3000, true), (3999, true), (4000, true), (4999, true), (5000, false), (65535, false),
    ])
    func validity(code: UInt16, isValid: Bool) {
        #expect(WebSocketCloseCode(code).isValidOnWire == isValid)
    }
}

@Suite("Handshake helpers")
struct HandshakeTests {
    @Test("RFC 6455 §1.3 sample accept value")
    func acceptValue() {
        #expect(WebSocketAccept.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("keys must be base64 of 16 bytes", arguments: [
        ("dGhlIHNhbXBsZSBub25jZQ==", true), ("dGhlIHNhbXBsZSBub25jZQ", false), ("", false), ("aGVsbG8=", false), ("!!!!!!!!!!!!!!!!!!!!!!==", false),
    ])
    func keys(key: String, isValid: Bool) {
        #expect(WebSocketAccept.isValidKey(key) == isValid)
    }

    @Test("extension header parsing")
    func extensionHeader() throws {
        let parsed = try #require(WebSocketExtensionHeader.parse(["permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-foo", "x-bar;a=b"]))
        #expect(parsed.map(\.name) == ["permessage-deflate", "x-foo", "x-bar"])
        #expect(parsed[0].parameter("client_max_window_bits") == .some(nil))
        #expect(parsed[0].parameter("server_max_window_bits") == .some("10"))
        #expect(parsed[0].parameter("nope") == nil)
        #expect(WebSocketExtensionHeader.parse(["permessage-deflate; =1"]) == nil)
        #expect(WebSocketExtensionHeader.parse(["a b"]) == nil)
    }

    @Test("URL parsing")
    func url() throws {
        let url = try WebSocketURL("ws://127.0.0.1:8080/chat?room=1")
        #expect(url.host == "127.0.0.1" && url.port == 8080 && url.target == "/chat?room=1")
        #expect(try WebSocketURL("ws://example.com").target == "/")
        #expect(try WebSocketURL("ws://[::1]:9000?x").host == "::1")
        #expect(throws: WebSocketClientError.unsupportedScheme("wss")) { try WebSocketURL("wss://example.com") }
        #expect(throws: WebSocketClientError.self) { try WebSocketURL("http://example.com") }
    }

    @Test("query items are percent-decoded")
    func query() {
        let info = WebSocketConnectionInfo(
            isServer: true, remoteAddress: nil, localAddress: nil, uri: "/p?a=1&b=x%20y&c",
            requestHeaders: [:], responseHeaders: [:], extensions: []
        )
        #expect(info.path == "/p")
        #expect(info.queryValue("b") == "x y")
        #expect(info.queryItems.map(\.name) == ["a", "b", "c"])
    }

    @Test(
        "a malformed escape in the query is kept as it is, with what follows it",
        arguments: [
            ("q=%zz", "%zz"), ("q=50%", "50%"), ("q=%4", "%4"), ("q=%4g1", "%4g1"), ("q=%+1", "% 1"), ("q=%-0", "%-0"),
            ("q=a+b%2Bc", "a b+c"), ("q=%E2%82%AC", "€"), ("q=%ff", "\u{FFFD}"), ("q=%41%", "A%"),
        ])
    func malformedQueryEscapes(query: String, expected: String) {
        let info = WebSocketConnectionInfo(
            isServer: true, remoteAddress: nil, localAddress: nil, uri: "/p?" + query,
            requestHeaders: [:], responseHeaders: [:], extensions: []
        )
        #expect(info.queryValue("q") == expected)
    }
}
