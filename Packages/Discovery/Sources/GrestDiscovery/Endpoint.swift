/// Where an API is served: an origin (`scheme://host:port`) with an optional base path, never the API's own
/// path prefix. grest-ts returned `origin + pathPrefix` from static and Kubernetes discovery while its clients
/// appended the prefix again; here the contract is one: clients append the prefix, discovery never does.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// `http`, `https`, `ws` or `wss`.
    public var scheme: String
    public var host: String
    public var port: Int
    /// A base path in front of every API prefix (a gateway mount such as `/edge`), without a trailing slash; usually empty.
    public var basePath: String

    public init(scheme: String, host: String, port: Int, basePath: String = "") {
        self.scheme = scheme.lowercased()
        self.host = host
        self.port = port
        self.basePath = Endpoint.normalisedBasePath(basePath)
    }

    /// Parses `scheme://host[:port][/base]`; the port defaults to the scheme's (80 / 443).
    /// - Throws: ``DiscoveryError/invalidURL(api:url:reason:)`` with `api` empty.
    public init(url: String) throws(DiscoveryError) {
        func invalid(_ reason: String) -> DiscoveryError { .invalidURL(api: "", url: url, reason: reason) }
        guard let schemeEnd = url.firstRange(of: "://") else { throw invalid("no scheme (expected http://host:port)") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let defaultPort: Int
        switch scheme {
        case "http", "ws": defaultPort = 80
        case "https", "wss": defaultPort = 443
        default: throw invalid("scheme '\(scheme)' is not http, https, ws or wss")
        }
        var rest = url[schemeEnd.upperBound...]
        if rest.contains("?") || rest.contains("#") { throw invalid("a query or fragment has no place in a service origin") }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        if rest.contains("@") { throw invalid("credentials in the URL are not supported") }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw invalid("no host") }
        var port = defaultPort
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else { throw invalid("port '\(portText)' is not 1...65535") }
            port = parsed
        }
        self.init(scheme: scheme, host: String(host), port: port, basePath: path)
    }

    /// `scheme://host:port/base`, no trailing slash.
    public var url: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostText):\(port)\(basePath)"
    }

    public var description: String { url }

    /// The host and port, as swift-service-discovery's `HostPort`.
    public var hostPort: HostPort { HostPort(host: host, port: port) }

    /// The same origin with the WebSocket scheme (`http` → `ws`, `https` → `wss`), for socket clients.
    public var webSocket: Endpoint {
        var copy = self
        switch scheme {
        case "http": copy.scheme = "ws"
        case "https": copy.scheme = "wss"
        default: break
        }
        return copy
    }

    /// The same origin with the HTTP scheme (`ws` → `http`, `wss` → `https`).
    public var http: Endpoint {
        var copy = self
        switch scheme {
        case "ws": copy.scheme = "http"
        case "wss": copy.scheme = "https"
        default: break
        }
        return copy
    }

    /// Drops a trailing copy of `pathPrefix` from ``basePath``: a URL configured as grest-ts documented it
    /// (`http://users:8080/api/users`) then yields the origin the client appends the prefix to, once.
    public func removingTrailing(pathPrefix: String) -> Endpoint {
        let prefix = Endpoint.normalisedBasePath(pathPrefix)
        guard !prefix.isEmpty, basePath.hasSuffix(prefix) else { return self }
        var copy = self
        copy.basePath = String(basePath.dropLast(prefix.count))
        return copy
    }

    /// `/a/b` from `a/b/`, `/a/b`, `a//b`; empty for `/` and ``.
    package static func normalisedBasePath(_ path: some StringProtocol) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return parts.isEmpty ? "" : "/" + parts.joined(separator: "/")
    }
}

/// A host and port (the shape of swift-service-discovery's `HostPort`, so an adapter stays a few lines).
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
