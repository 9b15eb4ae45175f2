/// One replica of one API, as a server publishes it (grest-ts `GGServiceRegistration`, plus the host and an
/// instance id so that one replica can be withdrawn without its siblings).
public struct ServiceRegistration: Sendable, Hashable, CustomStringConvertible {
    /// The protocol a registration is served over.
    public enum Scheme: String, Sendable, Hashable, CaseIterable {
        case http
        case ws
    }

    /// The contract name clients resolve (`UserApi`, `ChatSocket`).
    public var api: String
    public var scheme: Scheme
    public var host: String
    public var port: Int
    /// The schema's path prefix (`/api/users`), normalised to a leading slash and no trailing one.
    public var pathPrefix: String
    /// Identifies the replica (one process or one server); unregistering removes only this instance's entries.
    public var instanceID: String
    /// The service (runtime) name, informative (grest-ts `runtime`).
    public var runtime: String

    public init(api: String, scheme: Scheme = .http, host: String = "127.0.0.1", port: Int, pathPrefix: String = "", instanceID: String, runtime: String = "") {
        self.api = api
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathPrefix = Endpoint.normalisedBasePath(pathPrefix)
        self.instanceID = instanceID
        self.runtime = runtime
    }

    /// The origin clients call: never includes ``pathPrefix``.
    public var endpoint: Endpoint { Endpoint(scheme: scheme.rawValue, host: host, port: port) }

    /// Checks the fields a registry must not accept (empty API or instance, a port outside 1...65535, a host with
    /// a scheme or path in it); the reason, or `nil` when valid.
    public var problem: String? {
        if api.isEmpty { return "api is empty" }
        if instanceID.isEmpty { return "instance id is empty" }
        if host.isEmpty || host.contains("/") || host.contains(" ") { return "host '\(host)' is not a host name or address" }
        if !(1...65535).contains(port) { return "port \(port) is not 1...65535" }
        return nil
    }

    public var description: String { "\(api) [\(instanceID)] \(endpoint.url)\(pathPrefix)" }
}
