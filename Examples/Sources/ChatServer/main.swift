// `make run`: the seed README's chat app on one server — the typed socket API at ws://HOST:PORT/ws/chat and
// an HTTP API at http://HOST:PORT/api/*, both behind one BearerAuthMiddleware.
import ArgumentParser
import ChatExample
import GrestDiscoveryIntegration
import GrestBroadcastPostgres
import GrestDiscoveryLocal
import GrestHTTP
import GrestMetrics
import GrestWebSocket
import Logging
import PostgresNIO
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct ChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grest-chat-server", abstract: "The grest chat example server.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "The SQLite database file (created if missing; its folder too), or :memory:.") var db = "Examples/.data/chat.sqlite"
    @Option(help: "Serve the web page from this folder instead of the bundled one (for editing it live).") var publicDirectory: String?
    @Option(
        help: """
            Join the local discovery router on this port (grest-discovery, or the first server to bind it) and register \
            the chat APIs and the page: every replica is then reachable through http://127.0.0.1:<port>/.
            """)
    var discoveryPort: Int?
    @Option(
        help: """
            Cluster mode: keep history in this PostgreSQL database (postgres://USER[:PASSWORD]@HOST[:PORT]/DB) instead of \
            --db, and fan pushes out to the clients of every server started with the same URL (LISTEN/NOTIFY).
            """)
    var postgres: String?
    @Flag(help: "With --postgres: keep the pushes in this process (in-process broadcast), for comparisons.")
    var localBroadcast = false

    func run() async throws {
        guard let postgres else {
            if db != ":memory:", let slash = db.lastIndex(of: "/") { mkdir(String(db[..<slash]), 0o755) }
            let store = try await ChatStore.open(path: db)
            try await serve(store: store, broadcastBackend: nil, storage: "history in \(db)")
            try await store.close()
            return
        }
        guard let endpoint = PostgresEndpoint(url: postgres) else { throw ValidationError("--postgres: expected postgres://USER@HOST:PORT/DB") }
        let logger = Logger(label: "grest.chat.postgres")
        let client = PostgresClient(configuration: endpoint.clientConfiguration, backgroundLogger: logger)
        // The pool runs beside everything that queries it, and stops after them.
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            let store = try await PostgresChatStore.open(client: client, logger: logger)
            // --local-broadcast: no backend, so no broadcast table either.
            let backend =
                localBroadcast ? nil : PostgresBroadcastBackend(client: client, listenConfiguration: endpoint.connectionConfiguration, logger: logger)
            try await backend?.prepare()
            let fanOut = localBroadcast ? "history" : "history and fan-out"
            try await serve(
                store: store, broadcastBackend: backend, storage: "\(fanOut) in PostgreSQL \(endpoint.host):\(endpoint.port)/\(endpoint.database)")
            group.cancelAll()
        }
    }

    private func serve(store: any ChatRepository, broadcastBackend: (any BroadcastBackend)?, storage: String) async throws {
        let metrics = MetricsRegistry()
        let factory = metrics.makeMetricsFactory()
        let broadcast = SocketBroadcast(contract: ChatApi.contract, backend: broadcastBackend, metrics: factory)
        let service = ChatService(store: store, broadcast: broadcast, metricsFactory: factory)
        let server = try makeChatServer(
            HTTPServerConfiguration(host: host, port: port), service: service, publicDirectory: publicDirectory ?? chatPublicDirectory,
            metrics: metrics)
        try await server.start()
        let port = server.port ?? port
        print(
            """
            open http://\(host):\(port)/
            grest chat listening on \(host):\(port) (\(storage))
              page:   http://\(host):\(port)/                 (pick alice, bob or guest)
              metrics: http://\(host):\(port)/metrics         (Prometheus text; OpenMetrics or JSON by Accept)
              socket: ws://\(host):\(port)/ws/chat      (tokens: alice, bob — read+write; guest — read only)
              http:   http://\(host):\(port)/api/channels, /api/channels/general/messages, /api/me, /api/online, POST /api/typing
            try it:
              swift run --package-path Examples --scratch-path .build-examples grest-chat-client --port \(port) --token alice "hello"
              curl -H 'authorization: Bearer bob' http://\(host):\(port)/api/messages
            Ctrl-C stops the server gracefully.
            """)
        // Services stop in reverse order: the server first, then the broadcast's delivery.
        let delivery = BroadcastDelivery(broadcast: broadcast)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: delivery), .init(service: server)]
        if let discoveryPort {
            // The router forwards /api/*, /ws/chat and, as the catch-all prefix, the page and /metrics.
            let discovery = LocalDiscoveryClient(port: discoveryPort, runtime: "grest-chat-server")
            let registration = DiscoveryRegistrationService(
                server: server, discovery: discovery, sockets: [ChatSocket.discoverable], routes: [DiscoverableRoute(api: "ChatPage", path: "/")])
            services = [.init(service: delivery), .init(service: discovery), .init(service: registration)]
            print("  discovery: registering with the router on http://127.0.0.1:\(discoveryPort)/ (instance \(registration.instanceID))")
            Task {
                for await role in discovery.roleChanges where role != .electing {
                    print("  discovery: \(role == .leader ? "this server now runs the router" : "following the router") on port \(discoveryPort)")
                    fflush(nil)
                }
            }
        }
        fflush(nil)  // show the banner at once even when stdout is a pipe
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "grest.chat")))
        try await group.run()
    }
}

/// The broadcast's delivery from the backend, as a service that ends at graceful shutdown.
struct BroadcastDelivery: Service {
    let broadcast: SocketBroadcast

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await broadcast.run() }
    }
}
