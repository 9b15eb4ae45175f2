import Foundation
import GrestWebSocketTransport
import Glibc
import NIOCore
import PeerProcesses
import Testing
import WebSocketCompression

@Suite("Many idle connections", .serialized, .timeLimit(.minutes(3)))
struct IdleConnectionsTests {
    /// Opens N upgraded connections in batches, prints N once all are open, then holds them idle. Raises its own
    /// open-file limit; any failure is printed as the first line (`error: …`) so that the test reports it.
    static let holder = #"""
        import asyncio, base64, os, resource, sys
        async def open_one(port):
            r, w = await asyncio.open_connection("127.0.0.1", port)
            key = base64.b64encode(os.urandom(16)).decode()
            w.write(f"GET /idle HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            await w.drain()
            head = await r.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head
            return w
        async def main(port, count):
            try:
                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                if soft < count + 100:
                    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))
                held = []
                for start in range(0, count, 500):
                    held += await asyncio.gather(*(open_one(port) for _ in range(min(500, count - start))))
            except BaseException as e:
                print(f"error: {e!r} (open-file limit {resource.getrlimit(resource.RLIMIT_NOFILE)})", flush=True)
                return
            print(len(held), flush=True)
            await asyncio.Future()
        asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
        """#

    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    /// Raises this process's soft open-file limit to at least `needed` (the server holds one socket per connection),
    /// or says why it cannot.
    static func raiseOpenFileLimit(to needed: Int) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw LimitError("getrlimit failed: errno \(errno)") }
        guard limit.rlim_cur < rlim_t(needed) else { return }
        guard limit.rlim_max >= rlim_t(needed) else {
            throw LimitError("the hard open-file limit is \(limit.rlim_max), the test needs \(needed): raise it (ulimit -Hn)")
        }
        limit.rlim_cur = rlim_t(needed)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw LimitError("setrlimit failed: errno \(errno)") }
    }

    struct LimitError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test(
        "10 000 idle connections: the server keeps serving and memory stays bounded",
        .enabled("needs python3 websockets; required under CI=true") { await Peers.runsPythonWebsockets }
    )
    func tenThousandIdle() async throws {
        let count = 10_000
        try Self.raiseOpenFileLimit(to: count + 1000)
        try await withEchoServer(deflate: true) { port in
            let before = Self.residentBytes()
            try await Peers.withServer("python3", ["-c", Self.holder, String(port), String(count)]) { held in
                #expect(held == count)  // the first line is the number of connections held
                let during = Self.residentBytes()

                // A fresh client still gets served, with compression negotiated (the holders do not offer it).
                var configuration = WebSocketConfiguration()
                configuration.compression = PerMessageDeflate()
                let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", configuration: configuration)
                #expect(connection.info.extensions.map(\.name) == ["permessage-deflate"])
                try await connection.send(text: String(repeating: "still here ", count: 100))
                var iterator = connection.inbound.makeAsyncIterator()
                #expect(await iterator.next() == .text(String(repeating: "still here ", count: 100)))
                try await connection.close()

                // The whole test process's growth: the target's other suites run at the same time, so this is an
                // upper bound on what the server spends on the idle connections.
                let perConnection = (during - before) / count
                print("idle connections: \(count), RSS growth \((during - before) >> 20) MiB (\(perConnection) bytes each)")
                #expect(during - before < 512 << 20)
            }
        }
    }
}
