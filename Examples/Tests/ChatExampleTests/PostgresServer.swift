import Foundation
import Subprocess
import Testing

/// A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, `pg_ctl start` on a free loopback
/// port (its Unix socket in the same folder), stopped and removed when the body given to ``with(_:)`` ends. The steps
/// are `Scripts/postgres.sh`'s (`pg_init`, `pg_run`, `pg_halt`, as `make cluster` runs them; as root, as the `postgres`
/// user, since PostgreSQL's programs refuse root). `Scripts/bootstrap` installs Debian's `postgresql`.
final class PostgresServer: Sendable {
    let port: Int
    let folder: String
    let user = "grest"
    private let binaries: String

    var url: String { "postgres://\(user)@127.0.0.1:\(port)/postgres" }

    /// `Scripts/postgres.sh` of this repository.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts/postgres.sh").path

    /// The folder of `pg_ctl` and `psql`: Debian keeps them under /usr/lib/postgresql/VERSION/bin.
    static var binaries: String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let sorted = versions.compactMap { Int($0) }.sorted(by: >)
        return sorted.map { "/usr/lib/postgresql/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/pg_ctl") }
    }

    /// Starts a server, runs `body` with it and always stops it afterwards, also when `body` throws. Without
    /// PostgreSQL installed (outside CI) it returns without running `body`, recording nothing.
    static func with(_ body: (PostgresServer) async throws -> Void) async throws {
        guard let binaries else {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "PostgreSQL is not installed (Scripts/bootstrap installs it)")
            return
        }
        let folder = "/tmp/grest-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = PostgresServer(port: try await freeLoopbackPort(), folder: folder, binaries: binaries)
        let outcome: Result<Void, any Error>
        do {
            if getuid() == 0 { try await server.run("/bin/chown", ["postgres:postgres", folder], asPostgres: false) }
            try await server.script("pg_init", [folder + "/data"])
            try await server.startServer()
            try await body(server)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await server.stop()
        try outcome.get()
    }

    private init(port: Int, folder: String, binaries: String) {
        self.port = port
        self.folder = folder
        self.binaries = binaries
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    func startServer() async throws {
        try await script(
            "pg_run", [folder + "/data", folder, "\(port)", folder + "/log", "fsync=off", "synchronous_commit=off", "full_page_writes=off"])
    }

    /// `pg_ctl stop -m fast`: connections are dropped, the data stays.
    func stopServer() async throws {
        try await script("pg_halt", [folder + "/data"])
    }

    /// Stops the server (if it runs) and removes its folder.
    private func stop() async {
        if FileManager.default.fileExists(atPath: folder + "/data/postmaster.pid") { try? await stopServer() }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `psql -c sql` against the server.
    func psql(_ sql: String) async throws {
        try await run(
            binaries + "/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
    }

    /// Runs `function` of `Scripts/postgres.sh` with `arguments` (it switches to the `postgres` user itself).
    private func script(_ function: String, _ arguments: [String]) async throws {
        let call = ([function] + arguments).map(Self.quoted).joined(separator: " ")
        try await run("/bin/bash", ["-c", ". \(Self.quoted(Self.script)) && \(call)"], asPostgres: false)
    }

    /// Runs a program to completion without holding a thread: swift-subprocess spawns it with every descriptor of
    /// this process above stderr closed and waits for it asynchronously.
    ///
    /// Both matter, because `pg_ctl start` leaves a daemon behind that lives until the test stops it. A spawn that
    /// copied this process's descriptors into that daemon (as `system(3)`'s fork did) would keep open whatever a
    /// concurrent test had open at that instant: the write end of a child's stdin or stdout pipe, whose reader then
    /// never sees end-of-file, or Foundation's end-of-process socket, so `Process` never sees its child exit. A test
    /// blocked on either held one of the two cooperative threads for as long as the daemon lived, and a second one
    /// stalled every test in the process. Output goes to a file, not a pipe, for the same reason: the server's
    /// output is redirected by `pg_ctl`, but nothing in this process waits on a pipe the daemon could hold.
    private func run(_ program: String, _ arguments: [String], asPostgres: Bool = true) async throws {
        var command = [program] + arguments
        if asPostgres && getuid() == 0 { command = ["runuser", "-u", "postgres", "--"] + command }
        let outputPath = NSTemporaryDirectory() + "grest-pg-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let shell = command.map(Self.quoted).joined(separator: " ") + " >" + Self.quoted(outputPath) + " 2>&1 </dev/null"
        let result = try await Subprocess.run(.name("sh"), arguments: ["-c", shell], output: .discarded, error: .discarded)
        guard case .exited(0) = result.terminationStatus else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
            throw PostgresServerError.failed("\(command.joined(separator: " ")) ended with \(result.terminationStatus): \(text)\n\(log.suffix(2000))")
        }
    }

    private static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

enum PostgresServerError: Error {
    case failed(String)
}
