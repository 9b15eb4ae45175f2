import Foundation
import Testing

/// A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, `pg_ctl start` on a free loopback
/// port (its Unix socket in the same folder), stopped and removed by ``stop()``. The steps are `Scripts/postgres.sh`'s
/// (`pg_init`, `pg_run`, `pg_halt`, as `make cluster` runs them; as root, as the `postgres` user, since PostgreSQL's
/// programs refuse root). `Scripts/bootstrap` installs Debian's `postgresql`.
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

    /// Starts a server, or returns `nil` (recording nothing) when PostgreSQL is not installed outside CI.
    static func start() async throws -> PostgresServer? {
        guard let binaries else {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "PostgreSQL is not installed (Scripts/bootstrap installs it)")
            return nil
        }
        let folder = "/tmp/grest-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let server = PostgresServer(port: try await freeLoopbackPort(), folder: folder, binaries: binaries)
        if getuid() == 0 { try server.run("/bin/chown", ["postgres:postgres", folder], asPostgres: false) }
        try server.script("pg_init", [folder + "/data"])
        try server.startServer()
        return server
    }

    private init(port: Int, folder: String, binaries: String) {
        self.port = port
        self.folder = folder
        self.binaries = binaries
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    func startServer() throws {
        try script("pg_run", [folder + "/data", folder, "\(port)", folder + "/log", "fsync=off", "synchronous_commit=off", "full_page_writes=off"])
    }

    /// `pg_ctl stop -m fast`: connections are dropped, the data stays.
    func stopServer() throws {
        try script("pg_halt", [folder + "/data"])
    }

    /// Stops the server and removes its folder.
    func stop() {
        try? stopServer()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `psql -c sql` against the server.
    func psql(_ sql: String) throws {
        try run(binaries + "/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
    }

    /// Runs `function` of `Scripts/postgres.sh` with `arguments` (it switches to the `postgres` user itself).
    private func script(_ function: String, _ arguments: [String]) throws {
        let call = ([function] + arguments).map(Self.quoted).joined(separator: " ")
        try run("/bin/bash", ["-c", ". \(Self.quoted(Self.script)) && \(call)"], asPostgres: false)
    }

    private func run(_ program: String, _ arguments: [String], asPostgres: Bool = true) throws {
        var command = ([program] + arguments).map(Self.quoted)
        if asPostgres && getuid() == 0 { command = ["runuser", "-u", "postgres", "--"] + command }
        // `system` (fork, exec, waitpid on that child): Foundation's `Process` missed the exit of `runuser` around
        // `pg_ctl start`, whose server outlives it. Output goes to a file: the server would hold a pipe open.
        let outputPath = NSTemporaryDirectory() + "grest-pg-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status = system(command.joined(separator: " ") + " >" + Self.quoted(outputPath) + " 2>&1 </dev/null")
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
            throw PostgresServerError.failed("\(command.joined(separator: " ")) exited with status \(status): \(text)\n\(log.suffix(2000))")
        }
    }

    private static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

enum PostgresServerError: Error {
    case failed(String)
}
