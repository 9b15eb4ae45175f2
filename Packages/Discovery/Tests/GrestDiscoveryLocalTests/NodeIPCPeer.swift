import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TypeScript-side peer: node with the `ws` package connects to the router's framework connection, sends each
/// frame it is given on stdin and prints every frame it receives, one per line. SIGKILL simulates a crash.
final class NodeIPCPeer: @unchecked Sendable {
    // @unchecked: `process` and the pipes are set in init and only read afterwards; lines arrive through the stream.
    static let script = """
        const WebSocket = require('ws');
        const ws = new WebSocket(process.argv[2]);
        const readline = require('readline');
        ws.on('open', () => {
          console.log('open');
          readline.createInterface({ input: process.stdin }).on('line', (line) => ws.send(line));
        });
        ws.on('message', (data) => console.log(data.toString()));
        ws.on('close', () => { console.log('closed'); process.exit(0); });
        ws.on('error', (e) => { console.log('error ' + e.message); process.exit(1); });
        """

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/node") && FileManager.default.fileExists(atPath: "/usr/share/nodejs/ws") }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var lines: AsyncStream<String>.Iterator

    init(port: Int, runtime: String) throws {
        let scriptURL = FileManager.default.temporaryDirectory.appendingPathComponent("grest-ipc-peer-\(UUID().uuidString).js")
        try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/node")
        process.arguments = [scriptURL.path, "ws://127.0.0.1:\(port)/__ggFrameworkConnection?runtimeId=\(runtime)"]
        var environment = ProcessInfo.processInfo.environment
        environment["NODE_PATH"] = "/usr/share/nodejs"
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        lines = stream.makeAsyncIterator()
        let buffer = LineBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
                return
            }
            for line in buffer.append(data) { continuation.yield(line) }
        }
        try process.run()
    }

    /// The next line node printed (`open`, a received frame, `closed`), or `nil` when it exited.
    func next() async -> String? { await lines.next() }

    func send(_ frame: String) {
        input.fileHandleForWriting.write(Data((frame + "\n").utf8))
    }

    /// Sends `frame` and returns the next frame received.
    func request(_ frame: String) async -> String? {
        send(frame)
        return await next()
    }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { kill() }
}

/// Splits bytes into lines across reads.
private final class LineBuffer: @unchecked Sendable {
    // @unchecked: FileHandle calls its readability handler serially.
    private var pending = Data()

    func append(_ data: Data) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}
