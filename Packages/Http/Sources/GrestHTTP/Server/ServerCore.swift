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
    let staticFiles: StaticFileTable
    private let executors: [ObjectIdentifier: EventLoopTaskExecutor]
    private let draining = Atomic<Bool>(false)
    private let inFlight = Atomic<Int>(0)
    private let refCounter = Atomic<UInt64>(0)
    private let refPrefix: String
    let connections: ConnectionRegistry

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
    func requestFinished() { inFlight.subtract(1, ordering: .releasing) }

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
