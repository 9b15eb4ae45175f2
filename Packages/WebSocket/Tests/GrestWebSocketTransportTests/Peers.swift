import Foundation

/// Third-party WebSocket peers run as child processes: python `websockets` and node `ws`.
///
/// Tests that need one are skipped (not failed) when it is not installed; `Scripts/bootstrap` installs both.
enum Peers {
    static let nodeWS = "/usr/share/nodejs/ws"

    static let hasPythonWebsockets = (try? runBlocking("python3", ["-c", "import websockets"]).status) == 0
    static let hasNodeWS = (try? runBlocking("node", ["-e", "require('\(nodeWS)')"]).status) == 0

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion off the cooperative thread pool (the in-process server needs those threads).
    static func run(_ program: String, _ arguments: [String], timeout: Int = 120) async throws -> Output {
        try await self.offPool { try self.runBlocking(program, arguments, timeout: timeout) }
    }

    /// Starts a long-running peer off the cooperative thread pool.
    static func start(_ program: String, _ arguments: [String]) async throws -> Server {
        try await self.offPool { try Server(program, arguments) }
    }

    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs a program to completion (found on PATH), killed after `timeout` seconds.
    static func runBlocking(_ program: String, _ arguments: [String], timeout: Int = 120) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        // `--kill-after`: the child may have SIGTERM blocked (see `Server.stop()`), so follow up with SIGKILL.
        process.arguments = ["--kill-after=5", String(timeout), program] + arguments
        let out = Pipe()
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID().uuidString).stderr")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? Data(contentsOf: errorFile)) ?? Data()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A long-running peer that prints a number (its listening port, or a count) as its first stdout line.
    final class Server: @unchecked Sendable {
        // @unchecked: `process` is only touched from init and `stop()`, which the owning test calls once.
        let process = Process()
        let port: Int

        init(_ program: String, _ arguments: [String]) throws {
            self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            self.process.arguments = [program] + arguments
            let out = Pipe()
            self.process.standardOutput = out
            self.process.standardError = FileHandle.nullDevice
            try self.process.run()
            var line = Data()
            while true {
                let byte = out.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty || byte == Data("\n".utf8) { break }
                line.append(byte)
            }
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)) else {
                kill(self.process.processIdentifier, SIGKILL)   // not terminate(): see `stop()`
                self.process.waitUntilExit()
                throw PeerError.noPort(String(decoding: line, as: UTF8.self))
            }
            self.port = port
        }

        /// Kills the peer and waits for it.
        ///
        /// SIGKILL, not `Process.terminate()` (SIGTERM): a child inherits the signal mask of the thread that spawns
        /// it, and the Dispatch worker threads `start` spawns from block nearly every signal, SIGTERM included
        /// (`SigBlk` in the child's /proc status). Node resets its mask at startup; python and coreutils do not, so
        /// a python peer never saw the SIGTERM and `waitUntilExit()` blocked the test's thread forever, past the
        /// suite's time limit. That was the interop "hang": the WebSocket exchanges themselves had all passed.
        func stop() {
            if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
            self.process.waitUntilExit()
        }
    }

    enum PeerError: Error {
        case noPort(String)
    }

    /// Python client: echoes a set of messages through `url`, checks them, prints the negotiated extensions.
    static let pythonClient = #"""
        import asyncio, sys, websockets
        async def main(url, deflate):
            async with websockets.connect(url, compression="deflate" if deflate else None, max_size=None) as ws:
                print(ws.response.headers.get("Sec-WebSocket-Extensions") or "none")
                msgs = ["hello", "", "κόσμε " * 5000, b"\x00\xff" * 100000, "x" * 70000]
                for m in msgs:
                    await ws.send(m)
                    assert await ws.recv() == m
                await ws.send(["frag", "mented ", "text"])
                assert await ws.recv() == "fragmented text"
                await ws.close(code=4000, reason="done")
        asyncio.run(main(sys.argv[1], sys.argv[2] == "deflate"))
        """#

    /// Python echo server on an ephemeral port.
    static let pythonServer = #"""
        import asyncio, sys, websockets
        async def echo(ws):
            async for m in ws:
                await ws.send(m)
        async def main(deflate):
            async with websockets.serve(echo, "127.0.0.1", 0, compression="deflate" if deflate else None, max_size=None) as server:
                print(server.sockets[0].getsockname()[1], flush=True)
                await asyncio.Future()
        asyncio.run(main(sys.argv[1] == "deflate"))
        """#

    static let nodeClient = #"""
        const WebSocket = require('/usr/share/nodejs/ws');
        const [url, mode] = process.argv.slice(1);
        const ws = new WebSocket(url, { perMessageDeflate: mode === 'deflate', maxPayload: 0 });
        const msgs = ['hello', '', 'κόσμε '.repeat(5000), Buffer.alloc(200000, 7), 'x'.repeat(70000)];
        let i = 0;
        ws.on('open', () => { console.log(ws.extensions || 'none'); ws.send(msgs[0]); });
        ws.on('message', (data, isBinary) => {
          const expected = msgs[i];
          const got = isBinary ? data : data.toString();
          if (Buffer.isBuffer(expected) ? !expected.equals(got) : expected !== got) { console.error('mismatch at', i); process.exit(1); }
          i += 1;
          if (i < msgs.length) ws.send(msgs[i]); else ws.close(4000, 'done');
        });
        ws.on('close', (code) => process.exit(code === 4000 ? 0 : 2));
        ws.on('error', (e) => { console.error(e); process.exit(3); });
        """#

    static let nodeServer = #"""
        const WebSocket = require('/usr/share/nodejs/ws');
        const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0, perMessageDeflate: process.argv[1] === 'deflate', maxPayload: 0 });
        wss.on('listening', () => console.log(wss.address().port));
        wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
        """#
}
