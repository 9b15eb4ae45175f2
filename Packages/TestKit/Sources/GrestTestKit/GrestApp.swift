public import ServiceLifecycle

/// An application a test starts: the services it runs, given an environment (grest-ts's runtime class, without a
/// locator). `HTTPServer` already is a `Service`; return it with anything else the app runs.
///
/// ```swift
/// enum UsersApp: GrestApp {
///     static func services(environment: GrestEnvironment) async throws -> [any Service] {
///         let server = HTTPServer(configuration: .init(port: 0), logger: environment.logger)
///         server.register(UsersHTTP, middleware: environment.middleware) { api in … }
///         return [server]
///     }
/// }
/// ```
public protocol GrestApp: Sendable {
    /// The name logs and failure messages use; the type's name by default.
    static var name: String { get }
    /// Builds the app's services. An `HTTPServer` among them is started by the harness on port 0.
    static func services(environment: GrestEnvironment) async throws -> [any Service]
}

extension GrestApp {
    public static var name: String { String(describing: Self.self) }
}

/// One app as the harness sees it: a name and a closure that builds its services (the closure form of ``GrestApp``).
public struct GrestAppDefinition: Sendable {
    public let name: String
    public let makeServices: @Sendable (GrestEnvironment) async throws -> [any Service]

    /// An app from a closure.
    ///
    /// ```swift
    /// let app = GrestAppDefinition(name: "echo") { env in [makeEchoServer(env)] }
    /// ```
    public init(name: String, _ makeServices: @escaping @Sendable (GrestEnvironment) async throws -> [any Service]) {
        self.name = name
        self.makeServices = makeServices
    }

    /// The definition of a ``GrestApp`` type.
    public init(_ app: any GrestApp.Type) {
        self.init(name: app.name) { environment in try await app.services(environment: environment) }
    }
}
