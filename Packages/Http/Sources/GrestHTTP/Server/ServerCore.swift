import NIOCore
import NIOHTTP1
import Synchronization

/// The frozen, shared state of a running server: router, limits, CORS and the counters every connection
/// updates. Built by `start()`; immutable after that except for the atomics.
final class ServerCore: Sendable {
    let router: RouteTrie<RouteEndpoint>
    let limits: HTTPServerConfiguration.Limits
    let cors: CORSHeaders
    let unmatchedMetrics: RouteMetrics
    let upgrades: UpgradePathTable<HTTPUpgradeRoute>
    /// One NIO upgrader per `Upgrade` token of ``upgrades``, built once for every connection.
    let upgraders: [RoutedUpgrader]
    let staticFiles: StaticFileTable
    private let executors: [ObjectIdentifier: EventLoopTaskExecutor]
    private let draining = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    /// Tasks waiting in ``waitUntilIdle()`` (graceful shutdown), by id so a cancelled one can leave.
    private let idleWaiters = Mutex<(next: Int, waiters: [Int: CheckedContinuation<Void, Never>])>((0, [:]))
    private let refCounter = Atomic<UInt64>(0)
    private let refPrefix: String
    let connections: ConnectionRegistry
    /// Hosted protocols' long-lived tasks (WebSocket handlers), children of one root that shutdown awaits.
    let hostedTasks = HostedTaskTree()

    init(
        router: RouteTrie<RouteEndpoint>, limits: HTTPServerConfiguration.Limits, cors: CORSHeaders, unmatchedMetrics: RouteMetrics,
        upgrades: UpgradePathTable<HTTPUpgradeRoute>, group: any EventLoopGroup, staticFiles: StaticFileTable = StaticFileTable()
    ) {
        self.staticFiles = staticFiles
        self.router = router
        self.limits = limits
        self.cors = cors
        self.unmatchedMetrics = unmatchedMetrics
        self.upgrades = upgrades
        self.upgraders = Set(upgrades.allRoutes.map(\.upgradeProtocol)).sorted().map { RoutedUpgrader(supportedProtocol: $0, routes: upgrades) }
        var executors: [ObjectIdentifier: EventLoopTaskExecutor] = [:]
        for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopTaskExecutor(eventLoop: loop) }
        self.executors = executors
        var generator = SystemRandomNumberGenerator()
        self.refPrefix = "REQ_" + String(generator.next() & 0xFF_FFFF_FFFF, radix: 36) + "_"
        self.connections = ConnectionRegistry(maximum: limits.maxConnections)
    }

    func executor(for loop: any EventLoop) -> EventLoopTaskExecutor {
        executors[ObjectIdentifier(loop)] ?? EventLoopTaskExecutor(eventLoop: loop)
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }
    func startDraining() { draining.store(true, ordering: .relaxed) }

    var requestsInFlight: Int { inFlight.load(ordering: .acquiring) }
    func requestStarted() { inFlight.add(1, ordering: .relaxed) }

    func requestFinished() {
        guard inFlight.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        // The lock orders this against a waiter's check of the count: it either saw this decrement or is registered.
        let waiters = idleWaiters.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no request is in flight (at once if none is), or when the calling task is cancelled.
    func waitUntilIdle() async {
        let id = idleWaiters.withLock { state in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let idleNow = idleWaiters.withLock { state in
                    if inFlight.load(ordering: .acquiring) == 0 || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if idleNow { continuation.resume() }
            }
        } onCancel: {
            idleWaiters.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    func hasUpgradeRoute(for path: Substring) -> Bool { upgrades.route(for: path) != nil }

    /// The caller's `x-request-id` when it is short printable ASCII, else a fresh `REQ_<server>_<n>`.
    func requestRef(from headers: HTTPHeaders) -> String {
        if let given = headers.first(name: "x-request-id"), (1...128).contains(given.utf8.count),
            given.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        {
            return given
        }
        return refPrefix + String(refCounter.add(1, ordering: .relaxed).newValue, radix: 36)
    }
}

/// The open connections of a server: counted against the limit, closed on shutdown.
final class ConnectionRegistry: Sendable {
    private let maximum: Int
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(maximum: Int) { self.maximum = maximum }

    /// Adds `channel`; `false` when the server is full.
    func add(_ channel: any Channel) -> Bool {
        channels.withLock { channels in
            guard channels.count < maximum else { return false }
            channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { channels.withLock { $0.count } }

    func closeAll() {
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
