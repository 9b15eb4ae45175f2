import GrestWebSocketTransport
import NIOCore
import PeerProcesses
import Synchronization
import Testing

@testable import WebSocketCompression

/// permessage-deflate parameters negotiated over a real connection and read back on both ends: in our process from
/// the codec each end actually runs with, in python `websockets` from its negotiated extension object.
@Suite("permessage-deflate parameters on both ends of a real connection", .serialized, .timeLimit(.minutes(2)))
struct DeflateParametersTests {
    /// Wraps ``PerMessageDeflate`` and records the settings of every codec it makes.
    struct Recording: WebSocketCompressionExtension {
        let base: PerMessageDeflate
        let settings = Recorded()

        final class Recorded: Sendable {
            private let values = Mutex<[PerMessageDeflateCodec.Settings]>([])
            func append(_ value: PerMessageDeflateCodec.Settings) { self.values.withLock { $0.append(value) } }
            var all: [PerMessageDeflateCodec.Settings] { self.values.withLock { $0 } }
        }

        var name: String { self.base.name }
        func clientOffers() -> [WebSocketExtensionHeader] { self.base.clientOffers() }
        func negotiateAsServer(offers: [WebSocketExtensionHeader]) -> WebSocketNegotiatedCompression? {
            self.base.negotiateAsServer(offers: offers).map(self.recording)
        }
        func negotiateAsClient(response: WebSocketExtensionHeader) throws -> WebSocketNegotiatedCompression {
            self.recording(try self.base.negotiateAsClient(response: response))
        }
        private func recording(_ negotiated: WebSocketNegotiatedCompression) -> WebSocketNegotiatedCompression {
            let recorded = self.settings
            return WebSocketNegotiatedCompression(response: negotiated.response) { isServer in
                let codec = negotiated.makeCodec(isServer)
                if let deflate = codec as? PerMessageDeflateCodec { recorded.append(deflate.settings) }
                return codec
            }
        }
    }

    /// zlib's raw deflate has no 8-bit window: a limit of 8 compresses with 9 (see ``PerMessageDeflateCodec``).
    static func zlibBits(_ bits: Int) -> Int32 { Int32(max(9, bits)) }

    /// Echoes compressible messages (twice, so a wrong context-takeover setting corrupts the second) and closes.
    static func echo(_ connection: WebSocketConnection) async throws {
        var iterator = connection.inbound.makeAsyncIterator()
        let message = WebSocketMessage.text(String(repeating: "grest permessage-deflate ", count: 400))
        for _ in 0..<2 {
            try await connection.send(message)
            #expect(await iterator.next() == message)
        }
        try await connection.close()
    }

    @Test("our client ↔ our server: server_no_context_takeover and window bits 8–15 both ways", arguments: 8...15)
    func ours(bits: Int) async throws {
        let deflate = PerMessageDeflate(serverMaxWindowBits: bits, clientMaxWindowBits: bits, serverNoContextTakeover: true)
        let server = Recording(base: PerMessageDeflate())
        let client = Recording(base: deflate)
        try await withEchoServer(deflate: false, configure: { $0.compression = server }) { port in
            var configuration = WebSocketConfiguration()
            configuration.compression = client
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", configuration: configuration)
            let expected = bits < 15
                ? "permessage-deflate; server_no_context_takeover; server_max_window_bits=\(bits); client_max_window_bits=\(bits)"
                : "permessage-deflate; server_no_context_takeover"
            #expect(connection.info.extensions.map(\.description) == [expected])
            try await Self.echo(connection)
        }
        let serverSettings = try #require(server.settings.all.first)
        let clientSettings = try #require(client.settings.all.first)
        #expect(serverSettings.sendWindowBits == Self.zlibBits(bits) && serverSettings.sendNoContextTakeover)
        #expect(!serverSettings.receiveNoContextTakeover)
        #expect(clientSettings.sendWindowBits == Self.zlibBits(bits) && !clientSettings.sendNoContextTakeover)
        #expect(clientSettings.receiveNoContextTakeover)
    }

    /// Prints the negotiated header and python's view (`remote_nct,local_nct,remote_bits,local_bits`), then echoes.
    static let pythonClient = #"""
        import asyncio, sys, websockets
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        async def main(url, bits):
            factory = ClientPerMessageDeflateFactory(server_no_context_takeover=True, server_max_window_bits=bits, client_max_window_bits=bits)
            async with websockets.connect(url, compression=None, extensions=[factory]) as ws:
                e = ws.protocol.extensions[0]
                print(ws.response.headers.get("Sec-WebSocket-Extensions"))
                print(f"{e.remote_no_context_takeover},{e.local_no_context_takeover},{e.remote_max_window_bits},{e.local_max_window_bits}")
                for _ in range(2):
                    m = "grest permessage-deflate " * 400
                    await ws.send(m)
                    assert await ws.recv() == m
        asyncio.run(main(sys.argv[1], int(sys.argv[2])))
        """#

    /// Sends python's view of the negotiation as the first message, then echoes.
    static let pythonServer = #"""
        import asyncio, sys, websockets
        from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
        async def handler(ws):
            e = ws.protocol.extensions[0]
            await ws.send(f"{e.remote_no_context_takeover},{e.local_no_context_takeover},{e.remote_max_window_bits},{e.local_max_window_bits}")
            async for m in ws:
                await ws.send(m)
        async def main(bits):
            factory = ServerPerMessageDeflateFactory(server_no_context_takeover=True, server_max_window_bits=bits, client_max_window_bits=bits)
            async with websockets.serve(handler, "127.0.0.1", 0, compression=None, extensions=[factory]) as server:
                print(server.sockets[0].getsockname()[1], flush=True)
                await asyncio.Future()
        asyncio.run(main(int(sys.argv[1])))
        """#

    // python websockets accepts window bits 9–15 only.
    @Test("python websockets client → our server: parameters agree on both ends", .enabled("needs python websockets; required under CI=true") { await Peers.runsPythonWebsockets }, arguments: 9...15)
    func pythonClient(bits: Int) async throws {
        try await Peers.requirePythonWebsockets()
        let server = Recording(base: PerMessageDeflate())
        try await withEchoServer(deflate: false, configure: { $0.compression = server }) { port in
            let output = try await Peers.run("python3", ["-c", Self.pythonClient, "ws://127.0.0.1:\(port)/", String(bits)])
            #expect(output.status == 0, "\(output.stderr)")
            let lines = output.stdout.split(separator: "\n").map(String.init)
            #expect(lines == [
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=\(bits); client_max_window_bits=\(bits)",
                // The client's remote is our server: no context takeover, `bits` both ways.
                "True,False,\(bits),\(bits)",
            ])
        }
        let settings = try #require(server.settings.all.first)
        #expect(settings.sendWindowBits == Int32(bits) && settings.sendNoContextTakeover && !settings.receiveNoContextTakeover)
    }

    @Test("our client → python websockets server: parameters agree on both ends", .enabled("needs python websockets; required under CI=true") { await Peers.runsPythonWebsockets }, arguments: 9...15)
    func pythonServer(bits: Int) async throws {
        try await Peers.requirePythonWebsockets()
        let client = Recording(base: PerMessageDeflate(serverMaxWindowBits: bits, clientMaxWindowBits: bits, serverNoContextTakeover: true))
        try await Peers.withServer("python3", ["-c", Self.pythonServer, String(bits)]) { port in
            var configuration = WebSocketConfiguration()
            configuration.compression = client
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", configuration: configuration)
            var iterator = connection.inbound.makeAsyncIterator()
            // The server's remote is our client: it keeps its context, `bits` both ways.
            #expect(await iterator.next() == .text("False,True,\(bits),\(bits)"))
            let message = WebSocketMessage.text(String(repeating: "grest permessage-deflate ", count: 400))
            for _ in 0..<2 {
                try await connection.send(message)
                #expect(await iterator.next() == message)
            }
            try await connection.close()
        }
        let settings = try #require(client.settings.all.first)
        #expect(settings.sendWindowBits == Int32(bits) && !settings.sendNoContextTakeover && settings.receiveNoContextTakeover)
    }
}
