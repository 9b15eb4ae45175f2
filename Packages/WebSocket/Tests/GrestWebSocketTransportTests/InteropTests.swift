import GrestWebSocketTransport
import NIOCore
import PeerProcesses
import Testing
import WebSocketCompression

@Suite("Interop with third-party peers", .serialized, .timeLimit(.minutes(1)))
struct InteropTests {
    static func clientConfiguration(deflate: Bool) -> WebSocketConfiguration {
        var configuration = WebSocketConfiguration()
        if deflate { configuration.compression = PerMessageDeflate() }
        return configuration
    }

    /// What our client sends to a foreign echo server; fragment sizes and payload kinds differ per message.
    static func exchange(with url: String, deflate: Bool) async throws -> [String] {
        let connection = try await WebSocketClient.connect(to: url, configuration: self.clientConfiguration(deflate: deflate))
        var iterator = connection.inbound.makeAsyncIterator()
        let messages: [WebSocketMessage] = [
            .text("hello"), .text(""), .text(String(repeating: "κόσμε ", count: 5000)), .binary(ByteBuffer(repeating: 9, count: 300_000)),
            .text(String(repeating: "x", count: 70000)),
        ]
        for message in messages {
            try await connection.send(message)
            #expect(await iterator.next() == message)
        }
        let info = try await connection.close(code: WebSocketCloseCode(4000), reason: "done")
        #expect(info.wasClean)
        return connection.info.extensions.map(\.name)
    }

    @Test("python websockets client → our server", .enabled("needs `pip install websockets`; required under CI=true") { await Peers.runsPythonWebsockets }, arguments: [false, true])
    func pythonClient(deflate: Bool) async throws {
        try await Peers.requirePythonWebsockets()
        try await withEchoServer(deflate: deflate) { port in
            let output = try await Peers.run("python3", ["-c", Peers.pythonClient, "ws://127.0.0.1:\(port)/py", deflate ? "deflate" : "none"])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stdout.hasPrefix(deflate ? "permessage-deflate" : "none"))
        }
    }

    @Test("our client → python websockets server", .enabled("needs `pip install websockets`; required under CI=true") { await Peers.runsPythonWebsockets }, arguments: [false, true])
    func pythonServer(deflate: Bool) async throws {
        try await Peers.requirePythonWebsockets()
        try await Peers.withServer("python3", ["-c", Peers.pythonServer, deflate ? "deflate" : "none"]) { port in
            let extensions = try await Self.exchange(with: "ws://127.0.0.1:\(port)/", deflate: deflate)
            #expect(extensions == (deflate ? ["permessage-deflate"] : []))
        }
    }

    @Test("node ws client → our server", .enabled("needs Debian node-ws; required under CI=true") { await Peers.runsNodeWS }, arguments: [false, true])
    func nodeClient(deflate: Bool) async throws {
        try await Peers.requireNodeWS()
        try await withEchoServer(deflate: deflate) { port in
            let output = try await Peers.run("node", ["-e", Peers.nodeClient, "ws://127.0.0.1:\(port)/node", deflate ? "deflate" : "none"])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stdout.hasPrefix(deflate ? "permessage-deflate" : "none"))
        }
    }

    @Test("our client → node ws server", .enabled("needs Debian node-ws; required under CI=true") { await Peers.runsNodeWS }, arguments: [false, true])
    func nodeServer(deflate: Bool) async throws {
        try await Peers.requireNodeWS()
        try await Peers.withServer("node", ["-e", Peers.nodeServer, deflate ? "deflate" : "none"]) { port in
            let extensions = try await Self.exchange(with: "ws://127.0.0.1:\(port)/", deflate: deflate)
            #expect(extensions == (deflate ? ["permessage-deflate"] : []))
        }
    }
}
