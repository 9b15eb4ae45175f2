import ChatExample
import Foundation
import GrestBroadcastPostgres
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import GrestWebSocketTransport
import Logging
import PostgresNIO
import Synchronization
import Tagged
import Testing

/// Cluster mode on a real PostgreSQL (initdb + pg_ctl in a temporary folder): chat servers that share history and fan
/// pushes out through LISTEN/NOTIFY, with real socket clients on each.
@Suite("Chat on PostgreSQL: cross-server fan-out", .serialized, .timeLimit(.minutes(3)))
struct ChatPostgresTests {
    @Test func aMessageSentOnOneServerReachesTheOtherServersClientsWithin200ms() async throws {
        try await withTwoServers { _, _, b, onA, onB in
            for index in 0..<20 {
                let sent = ContinuousClock.now
                let id = try await onA.send("hello \(index)")
                try await onB.waitFor(count: index + 1)
                let latency = ContinuousClock.now - sent
                #expect(latency < .milliseconds(200), "message \(index) took \(latency)")
                #expect(id != nil && onB.received.last?.id == id)
            }
            // Both servers read the one history.
            let history = try await b.service.history(HistoryRequest(channelId: "general", limit: 100))
            #expect(history.messages.map(\.text) == (0..<20).map { "hello \($0)" })
            #expect(onA.received.map(\.id) == onB.received.map(\.id), "the sender's server pushes through the backend too, in the same order")
        }
    }

    @Test func tenThousandMessagesFromFiftyClientsArriveAtEveryClientExactlyOnceInSenderOrder() async throws {
        try await PostgresServer.with { postgres in
            let servers = [try await ChatInstance.start(postgres), try await ChatInstance.start(postgres)]
            let clientCount = 50
            let perClient = 200
            var listeners: [Listener] = []
            for index in 0..<clientCount {
                listeners.append(try await Listener.connect(to: servers[index % 2], as: index % 3 == 0 ? "bob" : "alice"))
            }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, listener) in listeners.enumerated() {
                    group.addTask {
                        for sequence in 0..<perClient {
                            let id = try await listener.send("\(index):\(sequence)")
                            #expect(id != nil, "the server confirmed \(index):\(sequence)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let total = clientCount * perClient
            for listener in listeners { try await listener.waitFor(count: total, within: .seconds(60)) }
            let elapsed = ContinuousClock.now - started
            print("fan-out: \(total) messages × \(clientCount) clients over 2 servers in \(elapsed)")
            for listener in listeners {
                let received = listener.received
                #expect(received.count == total, "no message doubled")
                #expect(Set(received.map(\.id)).count == total, "every message once")
                var next = [Int](repeating: 0, count: clientCount)
                var ordered = true
                for message in received {
                    let parts = message.text.split(separator: ":")
                    guard let sender = Int(parts[0]), let sequence = Int(parts[1]) else { continue }
                    if sequence != next[sender] { ordered = false }
                    next[sender] = sequence + 1
                }
                #expect(ordered, "each sender's messages arrive in the order sent")
            }
            for listener in listeners { await listener.close() }
            for server in servers { await server.stop() }
        }
    }

    /// PostgreSQL stopped and started again in the middle of a stream: publishes meanwhile are refused or retried, the
    /// listeners reconnect by themselves, and every acknowledged message reaches both clients once. It does not prove
    /// the catch-up from the table: nothing commits while PostgreSQL is down and the listeners `LISTEN` again before the
    /// next commit, so it passes on notifications alone (``listenersCutOffMidStreamCatchUpFromTheTable()`` proves it).
    @Test func aPostgresRestartMidStreamIsSurvivedByPublishersAndListenersWithEveryAcknowledgedMessageOnce() async throws {
        try await withTwoServers { postgres, _, _, onA, onB in
            // Alice streams; PostgreSQL stops after the 50th message and starts again 0.5 s later.
            let acknowledged = Mutex<[String]>([])
            let failures = Mutex(0)
            let sender = Task {
                for index in 0..<300 {
                    if let id = try? await onA.send("m\(index)") {
                        acknowledged.withLock { $0.append(id) }
                    } else {
                        // Refusals are expected while PostgreSQL is down; many in a row mean it never came back.
                        if failures.withLock({ $0 += 1; return $0 }) >= 20 { return }
                    }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            while acknowledged.withLock({ $0.count }) < 50 { try await Task.sleep(for: .milliseconds(5)) }
            try await postgres.stopServer()
            try await Task.sleep(for: .milliseconds(500))
            try await postgres.startServer()
            await sender.value

            let ids = acknowledged.withLock { $0 }
            print("restart: \(ids.count) acknowledged, \(failures.withLock { $0 }) refused while PostgreSQL was down")
            #expect(ids.count > 100, "the stream went on once PostgreSQL was back (\(ids.count) acknowledged, \(failures.withLock { $0 }) refused)")
            for listener in [onA, onB] {
                try await listener.waitFor(ids: Set(ids), within: .seconds(20))
                let received = listener.received.map(\.id)
                #expect(Set(ids).isSubset(of: Set(received)), "every acknowledged message arrived")
                #expect(Set(received).count == received.count, "no message arrived twice")
            }
        }
    }

    /// The test that proves the catch-up from the table: with it removed, 13–15 of the 200 messages go missing.
    @Test func listenersCutOffMidStreamCatchUpFromTheTable() async throws {
        try await withTwoServers { postgres, _, _, onA, onB in
            // Both servers' LISTEN connections are terminated while alice streams: what commits before they LISTEN again
            // is never notified to them, and only the catch-up from the table brings it.
            let acknowledged = Mutex<[String]>([])
            let sender = Task {
                for index in 0..<200 {
                    if let id = try? await onA.send("m\(index)") { acknowledged.withLock { $0.append(id) } }
                }
            }
            while acknowledged.withLock({ $0.count }) < 50 { try await Task.sleep(for: .milliseconds(5)) }
            try await postgres.psql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(PostgresBroadcastBackend.listenerApplicationName)'")
            await sender.value

            let ids = acknowledged.withLock { $0 }
            #expect(ids.count == 200, "the pool kept publishing")
            for listener in [onA, onB] {
                try await listener.waitFor(ids: Set(ids), within: .seconds(10))
                let received = listener.received.map(\.id)
                #expect(received == ids, "every message once, in order")
            }
        }
    }

    @Test func foreignNotificationsAreSkippedAndLargeMessagesTravelThroughTheTable() async throws {
        // Messages over 1000 bytes of notification travel by seq, and the listener reads the row.
        try await withTwoServers(inlineLimit: 1_000) { postgres, _, _, onA, onB in
            // Garbage from a foreign writer on the channel: logged and skipped by both servers.
            try await postgres.psql("NOTIFY grest_broadcast, 'not a broadcast'")
            try await postgres.psql("NOTIFY grest_broadcast, '999999999'")
            try await postgres.psql("NOTIFY grest_broadcast, '7\nid\n\n\n\n'")
            try await postgres.psql("SELECT pg_notify('grest_broadcast', repeat('x', 7000))")

            // Over the inline limit (as a message over NOTIFY's 8000 bytes would be): the notification carries the seq only.
            let large = String(repeating: "é", count: 2_000)
            let large_ = try await onA.send(large)
            let small = try await onA.send("after")
            try await onB.waitFor(count: 2)
            #expect(large_ != nil && small != nil)
            #expect(onB.received.map(\.id) == [large_, small].compactMap { $0 })
            #expect(onB.received.first?.text == large)
            try await onA.waitFor(count: 2)
            #expect(onA.received.map(\.id) == onB.received.map(\.id))
        }
    }

    @Test func expiredRowsAreDeletedBesideTheDeliveryNotByThePublishers() async throws {
        try await PostgresServer.with { postgres in
            let endpoint = try #require(PostgresEndpoint(url: postgres.url))
            var logger = Logger(label: "test.broadcast.retention")
            logger.logLevel = .error
            let client = PostgresClient(configuration: endpoint.clientConfiguration, backgroundLogger: logger)
            let pool = Task { await client.run() }
            var configuration = PostgresBroadcastBackend.Configuration()
            configuration.retention = .zero
            configuration.pruneInterval = .milliseconds(100)
            configuration.pruneBatchSize = 100  // one pass takes several statements
            let backend = PostgresBroadcastBackend(
                client: client, listenConfiguration: endpoint.connectionConfiguration, configuration: configuration, logger: logger)
            try await backend.prepare()
            func rows() async throws -> Int64 {
                for try await count in try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM grest_broadcast")).decode(Int64.self) {
                    return count
                }
                return -1
            }
            // Every row is expired as soon as it is committed (retention zero). The deletion used to run on the publish
            // path every 1000th publication, so publish past that: no row may go before run(deliver:) starts.
            let published = 1_100
            try await withThrowingTaskGroup(of: Void.self) { group in
                for publisher in 0..<8 {
                    group.addTask {
                        for index in stride(from: publisher, to: published, by: 8) {
                            try await backend.publish(
                                BroadcastMessage(id: "m\(index)", topic: "t", route: "ChatApi.newMessage", payload: Array("\(index)".utf8)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await rows() == Int64(published), "publishing deletes nothing, even past the 1000th publication")
            let delivery = Task { try await backend.run { _ in } }
            let start = ContinuousClock.now
            while try await rows() > 0, ContinuousClock.now - start < .seconds(5) { try await Task.sleep(for: .milliseconds(20)) }
            #expect(try await rows() == 0, "the rows past the retention were deleted by run(deliver:)'s pruning")
            delivery.cancel()
            _ = try? await delivery.value
            pool.cancel()
            await pool.value
        }
    }

    @Test func aServerKilledWithSIGKILLComesBackAndItsClientsCatchUpWhileTheOthersNoticeNothing() async throws {
        guard let binary = ChatServerProcess.binary else {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "grest-chat-server is not built beside the tests")
            return
        }
        try await PostgresServer.with { postgres in
            let a = try ChatServerProcess(binary: binary, arguments: ["--port", "0", "--postgres", postgres.url])
            defer { a.kill() }
            let b = try ChatServerProcess(binary: binary, arguments: ["--port", "0", "--postgres", postgres.url])
            defer { b.kill() }
            let (portA, portB) = (try await a.port(), try await b.port())

            // x: a typed client on A that reconnects (to the same URL); y: a wire client on B, the one that must notice nothing.
            var configuration = SocketClientConfiguration()
            configuration.middleware = [BearerAuthMiddleware(getToken: { "alice" })]
            configuration.reconnect = ReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200))
            let x = ChatSocket.createClient(url: "ws://127.0.0.1:\(portA)", configuration: configuration)
            let reconnected = Mutex(0)
            x.onConnect { reconnected.withLock { $0 += 1 } }
            try x.incoming.on(ChatApi.newMessage) { _ in }
            try await x.connect()
            let y = try await Listener.connect(port: portB, as: "bob")
            let before = try await x.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "before", channelId: "general"))
            try await y.waitFor(count: 1)

            a.kill()  // SIGKILL: no close frames, no withdrawal
            let sender = try await Listener.connect(port: portB, as: "alice")
            var during: [String] = []
            for index in 0..<5 { during.append(try #require(try await sender.send("during \(index)"))) }
            try await y.waitFor(count: 6)

            // A comes back on the same port; x reconnects by itself and reads what it missed from the shared history.
            let restarted = try ChatServerProcess(binary: binary, arguments: ["--port", "\(portA)", "--postgres", postgres.url])
            defer { restarted.kill() }
            _ = try await restarted.port()
            let start = ContinuousClock.now
            while reconnected.withLock({ $0 }) < 2 || !x.isConnected {
                try #require(ContinuousClock.now - start < .seconds(10), "x reconnected to the restarted server")
                try await Task.sleep(for: .milliseconds(20))
            }
            let history = try await x.outgoing.call(ChatApi.history, HistoryRequest(channelId: "general", limit: 50))
            #expect(history.messages.map(\.text) == ["before"] + (0..<5).map { "during \($0)" })
            let after = try await x.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "after", channelId: "general"))
            try await y.waitFor(count: 7)
            #expect(y.received.map(\.id) == [before.messageId] + during + [after.messageId], "y saw every message once, in order, on one socket")
            await x.disconnect()
            await y.close()
            await sender.close()
        }
    }
}

// MARK: - Fixtures

/// Starts a throwaway PostgreSQL, chat servers A and B on it and a wire client on each (alice on A, bob on B), runs
/// `body`, then always closes the clients, stops the servers and PostgreSQL, also when `body` or the set-up throws.
/// Without PostgreSQL installed (outside CI) it returns without running `body`, as ``PostgresServer/with(_:)`` does.
func withTwoServers(
    inlineLimit: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (_ postgres: PostgresServer, _ a: ChatInstance, _ b: ChatInstance, _ onA: Listener, _ onB: Listener) async throws -> Void
) async throws {
    try await PostgresServer.with { postgres in
        var instances: [ChatInstance] = []
        var listeners: [Listener] = []
        let outcome: Result<Void, any Error>
        do {
            let a = try await ChatInstance.start(postgres, inlineLimit: inlineLimit)
            instances.append(a)
            let b = try await ChatInstance.start(postgres, inlineLimit: inlineLimit)
            instances.append(b)
            let onA = try await Listener.connect(to: a, as: "alice")
            listeners.append(onA)
            let onB = try await Listener.connect(to: b, as: "bob")
            listeners.append(onB)
            try await body(postgres, a, b, onA, onB)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for listener in listeners { await listener.close() }
        for instance in instances { await instance.stop(sourceLocation: sourceLocation) }
        try outcome.get()
    }
}

/// One chat server in this process on PostgreSQL: pool, store, broadcast backend and HTTP server.
final class ChatInstance: Sendable {
    let server: HTTPServer
    let service: ChatService
    let client: PostgresClient
    let runners: [Task<Void, Never>]
    var port: Int { server.port ?? 0 }

    static func start(_ postgres: PostgresServer, inlineLimit: Int? = nil) async throws -> ChatInstance {
        let endpoint = try #require(PostgresEndpoint(url: postgres.url))
        var logger = Logger(label: "test.chat.postgres")
        logger.logLevel = .error
        let client = PostgresClient(configuration: endpoint.clientConfiguration, backgroundLogger: logger)
        var configuration = PostgresBroadcastBackend.Configuration()
        if let inlineLimit { configuration.inlineLimit = inlineLimit }
        let backend = PostgresBroadcastBackend(
            client: client, listenConfiguration: endpoint.connectionConfiguration, configuration: configuration, logger: logger)
        let broadcast = SocketBroadcast(contract: ChatApi.contract, backend: backend)
        // The pool runs first; the delivery starts once the backend is prepared. Both run until `stop()`.
        let pool = Task { await client.run() }
        let store = try await PostgresChatStore.open(client: client, logger: logger)
        try await backend.prepare()
        let delivery = Task { _ = try? await broadcast.run() }
        let service = ChatService(store: store, broadcast: broadcast)
        let server = try makeChatServer(HTTPServerConfiguration(host: "127.0.0.1", port: 0), service: service, publicDirectory: nil)
        try await server.start()
        return ChatInstance(server: server, service: service, client: client, runners: [delivery, pool])
    }

    private init(server: HTTPServer, service: ChatService, client: PostgresClient, runners: [Task<Void, Never>]) {
        self.server = server
        self.service = service
        self.client = client
        self.runners = runners
    }

    /// Shuts the server down, then cancels the delivery and the pool and waits for them (10 s at most, so a stuck
    /// driver fails the test instead of hanging it).
    func stop(sourceLocation: SourceLocation = #_sourceLocation) async {
        await server.shutdown()
        for runner in runners { runner.cancel() }
        let ended = FirstResume()
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            ended.continuation.withLock { $0 = continuation }
            // Two racers; the first to resume wins (a Task's value cannot be awaited with a deadline otherwise).
            Task { [runners] in
                for runner in runners { await runner.value }
                ended.resume(returning: true)
            }
            Task {
                try? await Task.sleep(for: .seconds(10))
                ended.resume(returning: false)
            }
        }
        #expect(finished, "the broadcast delivery and the PostgreSQL pool end when cancelled", sourceLocation: sourceLocation)
    }
}

/// A continuation resumed by whichever racer comes first.
final class FirstResume: Sendable {
    let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func resume(returning value: Bool) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}

/// A chat socket client speaking the wire protocol by hand, so `received` is the order of `newMessage` frames on the
/// wire (a typed client runs push handlers concurrently, unordered, as grest-ts does). Calls `sendMessage` with `r`
/// frames and matches the `s` replies by id.
final class Listener: Sendable {
    struct State {
        var received: [Message] = []
        var replies: [UInt64: CheckedContinuation<String?, Never>] = [:]
        var nextID: UInt64 = 1
        var isClosed = false
    }

    let connection: WebSocketConnection
    private let state = Mutex(State())

    var received: [Message] { state.withLock { $0.received } }

    static func connect(to instance: ChatInstance, as token: String) async throws -> Listener {
        try await connect(port: instance.port, as: token)
    }

    static func connect(port: Int, as token: String) async throws -> Listener {
        let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/ws/chat")
        try await connection.send(text: #"h:::{"authorization":"Bearer \#(token)"}"#)
        let listener = Listener(connection: connection)
        let accepted = AsyncStream<Void>.makeStream()
        // Reads until the socket closes; the test closes it (`close()`), which ends the task.
        Task { await listener.read(accepted: accepted.continuation) }
        for await _ in accepted.stream { break }
        return listener
    }

    private init(connection: WebSocketConnection) {
        self.connection = connection
    }

    private func read(accepted: AsyncStream<Void>.Continuation) async {
        for await message in connection.inbound {
            guard case .text(let text) = message else { continue }
            if text.hasPrefix("k:") {
                accepted.yield()
            } else if text.hasPrefix("m:ChatApi.newMessage::"), let message = Self.decode(text.dropFirst("m:ChatApi.newMessage::".count)) {
                state.withLock { $0.received.append(message) }
            } else if text.hasPrefix("s:ChatApi.sendMessage:") {
                let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
                guard parts.count == 4, let id = UInt64(parts[2]) else { continue }
                let body = String(parts[3])
                state.withLock { $0.replies.removeValue(forKey: id) }?.resume(returning: body)
            }
        }
        accepted.finish()
        let waiting = state.withLock { state in
            state.isClosed = true
            defer { state.replies = [:] }
            return Array(state.replies.values)
        }
        for continuation in waiting { continuation.resume(returning: nil) }
    }

    /// Sends a message; its id once the server confirms it, `nil` when the server refused it (or the socket closed).
    func send(_ text: String, channelId: String = "general") async throws -> String? {
        let data = try JSONSerialization.data(withJSONObject: ["text": text, "channelId": channelId])
        let body = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let id = state.withLock { state -> UInt64? in
                guard !state.isClosed else { return nil }
                let id = state.nextID
                state.nextID += 1
                state.replies[id] = continuation
                return id
            }
            guard let id else { return continuation.resume(returning: nil) }
            let frame = "r:ChatApi.sendMessage:\(id):" + String(decoding: data, as: UTF8.self)
            Task { try? await connection.send(text: frame) }
            // No reply within 15 s fails this send (the test then fails instead of hanging).
            Task {
                try? await Task.sleep(for: .seconds(15))
                state.withLock { $0.replies.removeValue(forKey: id) }?.resume(returning: nil)
            }
        }
        guard let body, let reply = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], reply["success"] as? Bool == true,
            let result = reply["data"] as? [String: Any], let id = result["messageId"] as? String
        else { return nil }
        return id
    }

    static func decode(_ json: Substring) -> Message? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], let id = object["id"] as? String,
            let text = object["text"] as? String, let sender = object["senderId"] as? String
        else { return nil }
        return Message(
            id: id, text: text, senderId: UserId(rawValue: sender), timestamp: object["timestamp"] as? Int ?? 0,
            channelId: object["channelId"] as? String ?? "general")
    }

    /// Waits until `count` messages arrived (failing the test after `within`).
    func waitFor(count: Int, within limit: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let start = ContinuousClock.now
        while received.count < count {
            guard ContinuousClock.now - start < limit else {
                Issue.record("\(received.count) of \(count) messages arrived", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits until every message of `ids` arrived.
    func waitFor(ids: Set<String>, within limit: Duration, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let start = ContinuousClock.now
        while !ids.isSubset(of: Set(received.map(\.id))) {
            guard ContinuousClock.now - start < limit else {
                Issue.record("\(ids.subtracting(received.map(\.id)).count) of \(ids.count) messages missing", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func close() async {
        _ = try? await connection.close()
    }
}
