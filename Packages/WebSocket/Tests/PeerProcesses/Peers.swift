import Foundation
import Subprocess

/// Third-party WebSocket peers run as child processes: python `websockets` and node `ws`. Shared by the transport
/// tests and the typed-socket tests (a test-only target, not a product).
///
/// Spawned through swift-subprocess, not Foundation's `Process`: on Linux, `Process.run()` copies a fixed 256 bytes
/// out of every `/proc/self/fd` entry to find the highest open descriptor (swift-corelibs-foundation#5472), which
/// reads past glibc's directory buffer once about 1 300 descriptors are open — as they are while the idle-connections
/// test holds 10 000 sockets — and crashed the test process with SIGSEGV in `memmove`. swift-subprocess closes the
/// child's descriptors with `close_range` / `posix_spawn_file_actions_addclosefrom_np` instead.
///
/// Tests that need a peer are skipped (not failed) when it is not installed; `Scripts/bootstrap` installs both.
public enum Peers {
    public static let nodeWS = "/usr/share/nodejs/ws"

    /// Whether python 3 can import `websockets` (worked out once per test process).
    public static var hasPythonWebsockets: Bool {
        get async { await self.pythonCheck.value }
    }

    /// Whether node can load the Debian `node-ws` module (worked out once per test process).
    public static var hasNodeWS: Bool {
        get async { await self.nodeCheck.value }
    }

    private static let pythonCheck = Task { (try? await run("python3", ["-c", "import websockets"], timeout: 30).status) == 0 }
    private static let nodeCheck = Task { (try? await run("node", ["-e", "require('\(nodeWS)')"], timeout: 30).status) == 0 }

    public struct Output: Sendable {
        /// The exit code, or 128 + the signal number for a peer killed by a signal (as a shell reports it).
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs a program (found on PATH) to completion, killed after `timeout` seconds.
    public static func run(_ program: String, _ arguments: [String], timeout: Int = 120) async throws -> Output {
        // `--kill-after`: a child may have SIGTERM blocked or ignored, so follow up with SIGKILL.
        let result = try await Subprocess.run(
            .path("/usr/bin/timeout"),
            arguments: Arguments(["--kill-after=5", String(timeout), program] + arguments),
            output: .string(limit: 16 << 20),
            error: .string(limit: 16 << 20)
        )
        return Output(
            status: result.terminationStatus.shellStatus,
            stdout: result.standardOutput,
            stderr: result.standardError
        )
    }

    /// Starts a long-running peer that prints a number (its listening port, or a count) as its first stdout line,
    /// runs `body` with that number, then kills the peer (SIGKILL: a peer that blocks or ignores SIGTERM still ends)
    /// and waits for it to exit.
    public static func withServer<Result: Sendable>(
        _ program: String,
        _ arguments: [String],
        _ body: (_ port: Int) async throws -> Result
    ) async throws -> Result {
        let outcome = try await Subprocess.run(
            .name(program),
            arguments: Arguments(arguments),
            input: .none,
            output: .sequence,
            error: .discarded
        ) { execution in
            do {
                var firstLine: String?
                for try await line in execution.standardOutput.strings() {
                    firstLine = line
                    break
                }
                guard let line = firstLine, let port = Int(line.trimmingCharacters(in: .whitespaces)) else {
                    throw PeerError.noPort(firstLine ?? "")
                }
                let value = try await body(port)
                try? execution.send(signal: .kill)
                return value
            } catch {
                try? execution.send(signal: .kill)
                throw error
            }
        }
        return outcome.closureResult
    }

    public enum PeerError: Error {
        /// The peer's first line was not a number (or it exited without printing one).
        case noPort(String)
    }
}

extension TerminationStatus {
    var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }
}
