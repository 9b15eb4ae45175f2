public import GrestDiscovery
public import GrestHTTP
public import GrestWebSocket
public import Logging
public import ServiceLifecycle

/// Publishes a running ``HTTPServer``'s APIs in discovery (grest-ts's `registerRoutes` + lifecycle `register`):
/// every HTTP schema and every listed socket schema, with the port the server actually bound (also for port 0),
/// and withdraws them first on graceful shutdown, before the server stops taking requests.
///
/// It owns the server's run: put this service in the `ServiceGroup` instead of the server.
///
/// ```swift
/// let registration = DiscoveryRegistrationService(server: server, discovery: etcd, sockets: [ChatSocket.discoverable])
/// try await ServiceGroup(services: [registration], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
public final class DiscoveryRegistrationService: Service {
    public let server: HTTPServer
    public let discovery: any DiscoveryClient
    /// The host other processes reach this server at (published in every registration).
    public let advertisedHost: String
    /// This replica's id: its registrations are withdrawn without touching other replicas'.
    public let instanceID: String
    public let runtime: String
    public let sockets: [DiscoverableSocket]
    /// Plain HTTP paths outside any schema (static files, `/metrics`), published with scheme `http`.
    public let routes: [DiscoverableRoute]
    private let logger: Logger

    /// - Parameters:
    ///   - advertisedHost: The address clients dial; the server's configured host when it is not a wildcard.
    ///   - routes: Paths served outside a schema that a router should forward too, e.g. a web page at `/`.
    ///   - instanceID: Unique per replica; a random one by default.
    public init(
        server: HTTPServer, discovery: any DiscoveryClient, sockets: [DiscoverableSocket] = [], routes: [DiscoverableRoute] = [],
        advertisedHost: String? = nil,
        instanceID: String = DiscoveryRegistrationService.randomInstanceID(), runtime: String = "",
        logger: Logger = Logger(label: "grest.discovery")
    ) {
        self.server = server
        self.discovery = discovery
        self.sockets = sockets
        self.routes = routes
        let configured = server.configuration.host
        self.advertisedHost = advertisedHost ?? (configured == "0.0.0.0" || configured == "::" ? "127.0.0.1" : configured)
        self.instanceID = instanceID
        self.runtime = runtime
        self.logger = logger
    }

    /// The registrations for `port`: one per HTTP schema and extra route (scheme `http`) and per socket schema
    /// (scheme `ws`).
    public func registrations(port: Int) -> [ServiceRegistration] {
        let http = server.registeredSchemas.map { schema in
            ServiceRegistration(
                api: schema.name, scheme: .http, host: advertisedHost, port: port, pathPrefix: schema.pathPrefix, instanceID: instanceID, runtime: runtime)
        }
        let ws = sockets.map { socket in
            ServiceRegistration(api: socket.api, scheme: .ws, host: advertisedHost, port: port, pathPrefix: socket.path, instanceID: instanceID, runtime: runtime)
        }
        let extra = routes.map { route in
            ServiceRegistration(api: route.api, scheme: .http, host: advertisedHost, port: port, pathPrefix: route.path, instanceID: instanceID, runtime: runtime)
        }
        return http + ws + extra
    }

    /// Binds the server (unless it is already bound), registers, serves until graceful shutdown (or cancellation), withdraws, then shuts the
    /// server down. A failed registration stops the server and is thrown: a server nobody can find is an outage.
    public func run() async throws {
        if server.port == nil { try await server.start() }  // already started when the caller needed the port first
        guard let port = server.port else { throw DiscoveryError.misconfigured("HTTPServer reported no bound port after start()") }
        let published = registrations(port: port)
        do {
            try await discovery.register(published)
        } catch {
            await server.shutdown()
            throw error
        }
        logger.info("Registered in discovery", metadata: ["apis": "\(published.map(\.api))", "port": "\(port)", "instance": "\(instanceID)"])
        let withdrawAndStop: @Sendable () async -> Void = { [discovery, server, logger] in
            do {
                try await discovery.unregister(published)
            } catch {
                logger.warning("Could not withdraw registrations", metadata: ["error": "\(error)"])
            }
            await server.shutdown()
        }
        try await server.run(onShutdown: withdrawAndStop)
    }

    /// A random 16-hex-digit instance id.
    public static func randomInstanceID() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A path this server answers under an API name of its own, for ``DiscoveryRegistrationService``: a socket schema
/// (`sockets:`, scheme `ws`) or an HTTP path served outside any schema such as a page or `/metrics` (`routes:`,
/// scheme `http`).
public struct DiscoverableRoute: Sendable, Hashable {
    public var api: String
    public var path: String

    public init(api: String, path: String) {
        self.api = api
        self.path = path
    }
}

/// A socket schema as discovery sees it: its API name and upgrade path.
public typealias DiscoverableSocket = DiscoverableRoute

extension WebSocketSchema {
    /// This schema's API name and path, for ``DiscoveryRegistrationService``.
    public var discoverable: DiscoverableSocket { DiscoverableSocket(api: name, path: path) }
}

extension HTTPServer {
    /// Serves until graceful shutdown or cancellation, then runs `onShutdown` (which must stop the server).
    fileprivate func run(onShutdown: @escaping @Sendable () async -> Void) async throws {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitUntilStopped() }
                // Graceful shutdown runs `onShutdown` in this group; cancellation makes gracefulShutdown() throw instead.
                group.addTask { if (try? await gracefulShutdown()) != nil { await onShutdown() } }
                await group.next()
                group.cancelAll()
            }
        } onCancel: {
            // A cancelled task cannot wait out the server's drain (its sleeps end at once), so `onShutdown` runs in a
            // task of its own; `waitUntilStopped` above returns when it has stopped the server.
            Task { await onShutdown() }
        }
    }
}
