public import GrestDiscovery
import GrestWebSocketTransport
public import ServiceLifecycle
import Synchronization

/// Joins the development router on a well-known port, electing one by binding it (grest-ts
/// `GGLocalDiscoveryResilientClient`): whoever binds the port runs the router (leader); the others connect over the
/// framework connection (followers). When the leader goes away every follower elects again, and **whichever role
/// it ends up in, re-registers everything it had registered** (grest-ts's followers did not).
///
/// ```swift
/// let discovery = LocalDiscoveryClient(port: 9000)
/// try await ServiceGroup(services: [discovery, DiscoveryRegistrationService(server: server, discovery: discovery)], …).run()
/// ```
public final class LocalDiscoveryClient: DiscoveryClient, Service {
    /// Where this participant stands.
    public enum Role: Sendable, Equatable {
        case electing
        case leader
        case follower
    }

    public let host: String
    public let port: Int
    public let runtime: String
    /// How often ``subscribe(api:)`` asks the router for changes.
    public let subscriptionInterval: Duration
    private let state = Mutex(State())
    private let roleContinuation: AsyncStream<Role>.Continuation
    /// Every role change, for whoever watches (tests, logs).
    public let roleChanges: AsyncStream<Role>

    private struct State {
        var role = Role.electing
        var registrations: [ServiceRegistration] = []
        var router: LocalDiscoveryRouter?
        var connection: WebSocketConnection?
        var nextRequest = 0
        var pending: [String: Reply] = [:]
    }

    /// Where one request to the leader stands: sent and not yet waited on, answered before it was waited on, or
    /// waited on.
    private enum Reply {
        case sent
        case answered(String)
        case awaited(CheckedContinuation<String, Never>)
    }

    private static let closedReply = "{\"success\":false,\"error\":\"Connection closed\"}"

    public init(host: String = "127.0.0.1", port: Int = 9000, runtime: String = "", subscriptionInterval: Duration = .milliseconds(500)) {
        self.host = host
        self.subscriptionInterval = subscriptionInterval
        self.port = port
        self.runtime = runtime
        (roleChanges, roleContinuation) = AsyncStream.makeStream(of: Role.self)
    }

    public var role: Role { state.withLock { $0.role } }
    public var origin: Endpoint { Endpoint(scheme: "http", host: host, port: port) }

    /// Elects and serves until graceful shutdown or cancellation.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.participate() }
        roleContinuation.finish()
    }

    private func participate() async {
        while !Task.isCancelled {
            let router = LocalDiscoveryRouter(host: host, port: port)
            if (try? await router.start()) != nil {
                let own = state.withLock { state in
                    state.role = .leader
                    state.router = router
                    return state.registrations
                }
                try? router.registry.add(own)
                roleContinuation.yield(.leader)
                await Self.waitUntilCancelled()
                state.withLock { state in
                    state.router = nil
                    state.role = .electing
                }
                await router.shutdown()
                return
            }
            await follow()
        }
    }

    /// One follower session: connect, re-register everything, read replies until the connection drops.
    private func follow() async {
        let connection: WebSocketConnection
        do {
            connection = try await WebSocketClient.connect(to: "ws://\(host):\(port)/__ggFrameworkConnection?runtimeId=\(runtime)")
        } catch {
            // The port is bound but nobody accepts yet (a new leader is starting): elect again shortly.
            try? await Task.sleep(for: .milliseconds(50))
            return
        }
        let own = state.withLock { state in
            state.connection = connection
            state.role = .follower
            return state.registrations
        }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    if !own.isEmpty { _ = await self.request(connection, "discovery/register", ipcEntries(own)) }
                    self.roleContinuation.yield(.follower)
                }
                for await message in connection.inbound {
                    guard case .text(let text) = message else { continue }
                    let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
                    guard parts.count == 4, parts[0] == "s" else { continue }
                    self.answer(String(parts[1]), with: String(parts[3]))
                }
                // The leader is gone: answer every request still open (the registration child's among them) before
                // the group waits for its children.
                let ids = state.withLock { state in
                    state.connection = nil
                    state.role = .electing
                    return Array(state.pending.keys)
                }
                for id in ids { self.answer(id, with: Self.closedReply) }
            }
        } onCancel: {
            connection.abort()
        }
        roleContinuation.yield(.electing)
    }

    /// Sends `r:<id>:<path>:<json>` from the calling task and waits for the `s` frame's body (or the close).
    private func request(_ connection: WebSocketConnection, _ path: String, _ json: String) async -> String {
        let id = state.withLock { state in
            state.nextRequest += 1
            state.pending[String(state.nextRequest)] = .sent
            return String(state.nextRequest)
        }
        do {
            try await connection.send(text: "r:\(id):\(path):\(json)")
        } catch {
            state.withLock { _ = $0.pending.removeValue(forKey: id) }
            return "{\"success\":false,\"error\":\"\(jsonEscaped(String(describing: error)))\"}"
        }
        // The reply (or the close) may have come while the send was finishing: then it is waiting here.
        return await withCheckedContinuation { continuation in
            let early = state.withLock { state -> String? in
                guard case .answered(let reply) = state.pending[id] else {
                    state.pending[id] = .awaited(continuation)
                    return nil
                }
                state.pending[id] = nil
                return reply
            }
            if let early { continuation.resume(returning: early) }
        }
    }

    /// Hands `reply` to request `id`: resumes it when it waits, keeps the reply for it when it has not started
    /// waiting yet; an id with no open request (a late or unknown reply) is ignored.
    private func answer(_ id: String, with reply: String) {
        let waiter = state.withLock { state -> CheckedContinuation<String, Never>? in
            switch state.pending[id] {
            case .sent:
                state.pending[id] = .answered(reply)
                return nil
            case .awaited(let continuation):
                state.pending[id] = nil
                return continuation
            case .answered, nil:
                return nil
            }
        }
        waiter?.resume(returning: reply)
    }

    private static func waitUntilCancelled() async {
        let (never, _) = AsyncStream.makeStream(of: Never.self)
        for await _ in never {}
    }

    // MARK: DiscoveryClient

    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        if let bad = registrations.first(where: { $0.problem != nil }) { throw .refused("\(bad.api): \(bad.problem!)") }
        let (router, connection) = state.withLock { state in
            state.registrations.removeAll { old in registrations.contains { $0.api == old.api && $0.instanceID == old.instanceID } }
            state.registrations += registrations
            return (state.router, state.connection)
        }
        if let router { try router.registry.add(registrations) }
        if let connection {
            let reply = await request(connection, "discovery/register", ipcEntries(registrations))
            guard reply.hasPrefix("{\"success\":true") else { throw .refused(reply) }
        }
        // Electing: the registrations are sent once a role is taken.
    }

    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        let (router, connection) = state.withLock { state in
            state.registrations.removeAll { old in registrations.contains { $0.api == old.api && $0.instanceID == old.instanceID } }
            return (state.router, state.connection)
        }
        router?.registry.remove(registrations)
        if let connection { _ = await request(connection, "discovery/unregister", ipcEntries(registrations)) }
    }

    /// The router's origin when the router knows `api` (every API is served through the router).
    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        let (router, connection) = state.withLock { ($0.router, $0.connection) }
        if let router { return router.registry.registrations(api: api).isEmpty ? [] : [origin] }
        guard let connection else { throw .unavailable("not connected to the local router on port \(port) (electing)") }
        let reply = await request(connection, "discovery/discoverApi", "\"\(jsonEscaped(api))\"")
        return reply.contains("\"url\":") ? [origin] : []
    }

    /// Snapshots of `api`'s instances: the first at once, then one whenever it changes. The framework connection
    /// carries no change notifications (grest-ts's protocol), so changes are found by asking every
    /// ``subscriptionInterval`` — a subscriber sees a change at most that late. The stream ends when the
    /// subscriber stops iterating.
    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Endpoint].self)
        // The producer lives exactly as long as the consumer: onTermination cancels it.
        let task = Task { [self] in
            var last: [Endpoint]?
            while !Task.isCancelled {
                let current = (try? await instances(api: api)) ?? []
                if current != last {
                    continuation.yield(current)
                    last = current
                }
                try? await Task.sleep(for: subscriptionInterval)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
