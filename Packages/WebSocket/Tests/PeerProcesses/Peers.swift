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
/// Tests that need a peer are skipped when it is not installed, except under `CI=true`: there they run and fail
/// with ``PeerError/missing(_:)`` (`Scripts/bootstrap` installs both peers, so a missing one is a broken machine).
public enum Peers {
    /// Whether the tests run in CI (`CI=true`), where a missing peer fails instead of skipping.
    public static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Condition for `.enabled`: python `websockets` is installed, or the run is CI (where its absence must fail).
    public static var runsPythonWebsockets: Bool {
        get async { await self.hasPythonWebsockets || self.isCI }
    }

    /// Condition for `.enabled`: node `ws` is installed, or the run is CI (where its absence must fail).
    public static var runsNodeWS: Bool {
        get async { await self.hasNodeWS || self.isCI }
    }

    /// Fails the calling test when python `websockets` is missing (reached only under `CI=true`).
    public static func requirePythonWebsockets() async throws {
        guard await self.hasPythonWebsockets else { throw PeerError.missing("python3 with `websockets` (Scripts/bootstrap installs it)") }
    }

    /// Fails the calling test when node `ws` is missing (reached only under `CI=true`).
    public static func requireNodeWS() async throws {
        guard await self.hasNodeWS else { throw PeerError.missing("node with Debian node-ws (Scripts/bootstrap installs it)") }
    }

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
            .name("timeout"),  // coreutils, on PATH
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
        /// A peer the test needs is not installed.
        case missing(String)
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
