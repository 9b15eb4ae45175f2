import Foundation

/// Third-party WebSocket peers run as child processes: python `websockets` and node `ws`. Shared by the transport
/// tests and the typed-socket tests (a test-only target, not a product).
///
/// Tests that need one are skipped (not failed) when it is not installed; `Scripts/bootstrap` installs both.
public enum Peers {
    public static let nodeWS = "/usr/share/nodejs/ws"

    public static let hasPythonWebsockets = (try? runBlocking("python3", ["-c", "import websockets"]).status) == 0
    public static let hasNodeWS = (try? runBlocking("node", ["-e", "require('\(nodeWS)')"]).status) == 0

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program to completion off the cooperative thread pool (the in-process server needs those threads).
    public static func run(_ program: String, _ arguments: [String], timeout: Int = 120) async throws -> Output {
        try await self.offPool { try self.runBlocking(program, arguments, timeout: timeout) }
    }

    /// Starts a long-running peer off the cooperative thread pool.
    public static func start(_ program: String, _ arguments: [String]) async throws -> Server {
        try await self.offPool { try Server(program, arguments) }
    }

    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs a program to completion (found on PATH), killed after `timeout` seconds.
    public static func runBlocking(_ program: String, _ arguments: [String], timeout: Int = 120) throws -> Output {
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
    public final class Server: @unchecked Sendable {
        // @unchecked: `process` is only touched from init and `stop()`, which the owning test calls once.
        public let process = Process()
        public let port: Int

        public init(_ program: String, _ arguments: [String]) throws {
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
        public func stop() {
            if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
            self.process.waitUntilExit()
        }
    }

    public enum PeerError: Error {
        case noPort(String)
    }
}
