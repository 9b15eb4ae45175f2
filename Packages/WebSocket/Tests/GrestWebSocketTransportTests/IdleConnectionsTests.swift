import Foundation
import GrestWebSocketTransport
import NIOCore
import PeerProcesses
import Testing

@Suite("Many idle connections", .serialized)
struct IdleConnectionsTests {
    /// Opens N upgraded connections in batches, prints N once all are open, then holds them idle.
    static let holder = #"""
        import asyncio, base64, os, sys
        async def open_one(port):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            key = base64.b64encode(os.urandom(16)).decode()
            w.write(f"GET /idle HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            await w.drain()
            head = await r.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head
            return w
        async def main(port, count):
            held = []
            for start in range(0, count, 500):
                held += await asyncio.gather(*(open_one(port) for _ in range(min(500, count - start))))
            print(len(held), flush=True)
            await asyncio.Future()
        asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
        """#

    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    @Test("10 000 idle connections: the server keeps serving and memory stays bounded", .enabled("needs python3") { await Peers.hasPythonWebsockets })
    func tenThousandIdle() async throws {
        let count = 10_000
        try await withEchoServer(deflate: true) { port in
            let before = Self.residentBytes()
            try await Peers.withServer("python3", ["-c", Self.holder, String(port), String(count)]) { held in
                #expect(held == count)  // the first line is the number of connections held
                let during = Self.residentBytes()

                // A fresh client still gets served, compression included.
                let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/")
                try await connection.send(text: "still here")
                var iterator = connection.inbound.makeAsyncIterator()
                #expect(await iterator.next() == .text("still here"))
                try await connection.close()

                let perConnection = (during - before) / count
                print("idle connections: \(count), RSS growth \((during - before) >> 20) MiB (\(perConnection) bytes each)")
                #expect(during - before < 512 << 20)
            }
        }
    }
}
