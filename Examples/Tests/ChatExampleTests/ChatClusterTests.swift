import ChatExample
import Foundation
import GrestHTTP
import GrestWebSocketTransport
import Synchronization
import Testing
import Tagged

/// `make cluster` without the router process: three `grest-chat-server` processes join one discovery port. The
/// first binds it and runs the router, the other two follow. SIGKILL the leader: the survivors elect a new one
/// and every surviving replica's routes are back behind the same port within 5 s.
@Suite("Chat cluster", .serialized, .timeLimit(.minutes(1)))
struct ChatClusterTests {
    @Test func threeServerProcessesSurviveTheLeadersSIGKILL() async throws {
        guard let binary = ChatServerProcess.binary else {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "grest-chat-server is not built beside the tests")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grest-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let routerPort = try await freeLoopbackPort()
        let database = folder.appendingPathComponent("chat.sqlite").path

        // One after the other (they share the SQLite file and its start-up migrations); the first one leads.
        let leader = try ChatServerProcess(binary: binary, database: database, discoveryPort: routerPort)
        defer { leader.kill() }
        try await leader.waitFor("this server now runs the router")
        let followers = try (0..<2).map { _ in try ChatServerProcess(binary: binary, database: database, discoveryPort: routerPort) }
        defer { for follower in followers { follower.kill() } }
        for follower in followers { try await follower.waitFor("following the router") }

        let all = try await [leader, followers[0], followers[1]].asyncMap { try await $0.port() }
        #expect(try await routedChatOrigins(routerPort) == Set(all))
        let api = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(routerPort)", middleware: [BearerAuthMiddleware(getToken: { "alice" })])
        #expect(try await api.call(ChatHTTPApi.me) == "alice")

        leader.kill()  // SIGKILL: no withdrawal, the router's port goes with it
        let died = ContinuousClock.now
        let survivors = Set(all.dropFirst())
        var routed: Set<Int> = []
        var answered = false
        while ContinuousClock.now - died < .seconds(5) {
            routed = (try? await routedChatOrigins(routerPort)) ?? []
            answered = (try? await api.call(ChatHTTPApi.me)) == "alice"
            if routed == survivors && answered { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(routed == survivors, "the new router lists both survivors")
        #expect(answered, "the API answers through the same port")
        #expect(ContinuousClock.now - died < .seconds(5))
        #expect(followers.map { $0.output.contains("this server now runs the router") }.filter { $0 }.count == 1, "exactly one survivor leads")
        await api.shutdown()

        // Graceful stop (SIGTERM): each survivor withdraws and exits 0.
        for follower in followers { follower.terminate() }
        for follower in followers { #expect(await follower.exitStatus() == 0, "\(follower.output)") }
    }
}

/// The ports behind `ChatHttpApi`, as the router on `port` lists them (`discovery/getServerInfo`).
private func routedChatOrigins(_ port: Int) async throws -> Set<Int> {
    let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/__ggFrameworkConnection?runtimeId=cluster-test")
    try await connection.send(text: "r:1:discovery/getServerInfo")
    var reply = ""
    for try await message in connection.inbound {
        if case .text(let text) = message { reply = text }
        break
    }
    _ = try? await connection.close()
    let routes = try JSONDecoder().decode(ServerInfo.self, from: Data(reply.split(separator: ":", maxSplits: 3)[3].utf8))
    return Set(routes.data.routes.filter { $0.api == "ChatHttpApi" }.compactMap { URL(string: $0.baseUrl)?.port })
}

private struct ServerInfo: Decodable {
    struct Info: Decodable { var routes: [Route] }
    struct Route: Decodable {
        var api: String
        var baseUrl: String
    }
    var data: Info
}

/// A `grest-chat-server` child process whose stdout and stderr are collected.
final class ChatServerProcess: Sendable {
    /// The server `swift build` put beside the test bundle: `ChatServer` in the root graph, `grest-chat-server` in
    /// Examples' own.
    static var binary: URL? {
        let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return ["ChatServer", "grest-chat-server"].map { folder.appendingPathComponent($0) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    private let process: Process
    private let collected = Collected()

    private final class Collected: Sendable {
        let text = Mutex("")
    }

    convenience init(binary: URL, database: String, discoveryPort: Int) throws {
        try self.init(binary: binary, arguments: ["--port", "0", "--db", database, "--discovery-port", "\(discoveryPort)"])
    }

    init(binary: URL, arguments: [String]) throws {
        process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [collected] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { collected.text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
    }

    var output: String { collected.text.withLock { $0 } }

    /// Waits (10 s at most) until the output contains `text`.
    func waitFor(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let start = ContinuousClock.now
        while !output.contains(text) {
            guard process.isRunning, ContinuousClock.now - start < .seconds(10) else {
                Issue.record("never printed '\(text)':\n\(output)", sourceLocation: sourceLocation)
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The port the server bound, from its banner.
    func port() async throws -> Int {
        try await waitFor("grest chat listening on")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("grest chat listening on") })
        let address = try #require(line.split(separator: " ").dropFirst(4).first)
        return try #require(Int(address.split(separator: ":").last ?? ""))
    }

    func kill() { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
    func terminate() { process.terminate() }

    /// The exit status once the process has exited (bounded by the suite's time limit).
    func exitStatus() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}

/// A loopback port nobody listens on now (bound by a throwaway server, then released).
func freeLoopbackPort() async throws -> Int {
    let probe = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
    try await probe.start()
    let port = try #require(probe.port)
    await probe.shutdown()
    return port
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
