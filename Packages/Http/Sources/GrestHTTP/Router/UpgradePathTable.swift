/// The upgrade paths of one server: exact paths first, then the longest `/base/*` prefix
/// (grest-ts: one `upgrade` listener per server).
struct UpgradePathTable<Route: Sendable>: Sendable {
    private var exact: [String: Route] = [:]
    /// Prefixes without the trailing `*` (`/ws/`), longest first.
    private var prefixes: [(prefix: String, route: Route)] = []

    var isEmpty: Bool { exact.isEmpty && prefixes.isEmpty }

    var allRoutes: [Route] { Array(exact.values) + prefixes.map(\.route) }

    /// Why a path was refused.
    enum RegistrationError: Error, Equatable {
        case duplicate(String)
        case invalid(String)
    }

    /// Adds `route` at `path`; returns why it was refused, or `nil`.
    mutating func registering(_ path: String, _ route: Route) -> RegistrationError? {
        guard path.first == "/" else { return .invalid(path) }
        if path.hasSuffix("/*") {
            let prefix = String(path.dropLast())
            guard !prefixes.contains(where: { $0.prefix == prefix }) else { return .duplicate(path) }
            prefixes.append((prefix, route))
            prefixes.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
        } else {
            guard exact[path] == nil else { return .duplicate(path) }
            exact[path] = route
        }
        return nil
    }

    func route(for path: Substring) -> Route? {
        if let route = exact[String(path)] { return route }
        for (prefix, route) in prefixes where path.hasPrefix(prefix) { return route }
        return nil
    }
}
