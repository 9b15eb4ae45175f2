import GrestWebSocketTransport
import PeerProcesses
import Testing
import NIOHTTP1

/// Bytes no well-behaved client sends, written by a separate process on a real loopback socket; the server's answer
/// is read back from the wire. The in-memory state machine tests cover the same rules below the socket.
@Suite("Wire violations from a raw client over loopback", .timeLimit(.minutes(2)))
struct WireViolationTests {
    /// "κόσμε": valid UTF-8 with two-byte sequences to split.
    static let kosme: [UInt8] = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5]

    @Test(
        "invalid UTF-8 in a text message closes with 1007",
        arguments: [
            ("single frame", [RawWebSocketClient.Frame.text([0x68, 0x69, 0xFF])]),
            ("fragmented, invalid in the second fragment", [.text([0x68, 0x69], fin: false), .continuation([0xC0, 0xAF])]),
            ("split inside a code point, invalid continuation", [.text([0x68, 0xF0, 0x9F], fin: false), .continuation([0x28, 0x69])]),
            ("ends inside a code point", [.text([0x68, 0x69, 0xCE], fin: true)]),
            ("surrogate half (CESU-8)", [.text([0xED, 0xA0, 0x80])]),
        ]
    )
    func invalidUTF8(_ name: String, frames: [RawWebSocketClient.Frame]) async throws {
        try await withEchoServer(deflate: false) { port in
            let lines = try await RawWebSocketClient.exchange(port: port, frames: frames)
            #expect(lines == ["close 1007"], "\(name)")
        }
    }

    @Test("a code point split across fragments is valid text and echoed whole")
    func splitCodePointIsValid() async throws {
        try await withEchoServer(deflate: false) { port in
            let kosme = Self.kosme
            let frames: [RawWebSocketClient.Frame] = [
                .text(Array(kosme[0..<1]), fin: false), .continuation(Array(kosme[1..<3]), fin: false),
                .continuation(Array(kosme[3..<10]), fin: false), .continuation(Array(kosme[10...])), .awaitReplies(1), .close,
            ]
            let lines = try await RawWebSocketClient.exchange(port: port, frames: frames)
            let hex = kosme.map { String($0, radix: 16) }.joined()
            #expect(lines == ["data 1 \(hex)", "close 1000"])
        }
    }

    @Test("a frame larger than maxFrameSize closes with 1009; one at the limit is echoed")
    func frameTooBig() async throws {
        try await withEchoServer(deflate: false, configure: { $0.maxFrameSize = 1024 }) { port in
            let atLimit = try await RawWebSocketClient.exchange(port: port, frames: [.binary([UInt8](repeating: 1, count: 1024)), .awaitReplies(1), .close])
            #expect(atLimit.first?.hasPrefix("data 2 0101") == true && atLimit.last == "close 1000", "\(atLimit)")
            let over = try await RawWebSocketClient.exchange(port: port, frames: [.binary([UInt8](repeating: 1, count: 1025))])
            #expect(over == ["close 1009"])
        }
    }

    @Test("a message larger than maxMessageSize, in small fragments, closes with 1009")
    func messageTooBig() async throws {
        try await withEchoServer(deflate: false, configure: { $0.maxMessageSize = 1000 }) { port in
            let fragments: [RawWebSocketClient.Frame] =
                [.text([UInt8](repeating: 0x61, count: 400), fin: false), .continuation([UInt8](repeating: 0x61, count: 400), fin: false)]
                + [.continuation([UInt8](repeating: 0x61, count: 400))]
            let lines = try await RawWebSocketClient.exchange(port: port, frames: fragments)
            #expect(lines == ["close 1009"])
        }
    }

    @Test("a plain HTTP request to the WebSocket server is answered 426 Upgrade Required")
    func plainHTTP() async throws {
        try await withEchoServer(deflate: false) { port in
            #expect(try await RawWebSocketClient.plainGET(port: port, path: "/") == ["status 426"])
            // A broken upgrade (version 8) is 426 too, and the server keeps serving.
            await #expect(throws: WebSocketClientError.upgradeRejected) {
                _ = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", headers: ["Sec-WebSocket-Version": "8"])
            }
            let lines = try await RawWebSocketClient.exchange(port: port, frames: [.text([0x6F, 0x6B]), .awaitReplies(1), .close])
            #expect(lines == ["data 1 6f6b", "close 1000"])
        }
    }
}
