/// `http://host:port/base` split without Foundation. Only plain `http` (see the README: no TLS here).
struct BaseURL: Sendable, Hashable {
    let host: String
    let port: Int
    /// The path prefix, without a trailing `/` (`""` or `/gateway`).
    let path: String

    init?(_ text: String) {
        guard text.hasPrefix("http://") else { return nil }
        let rest = text.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        if let colon = authority.lastIndex(of: ":") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { return nil }
            self.host = String(authority[..<colon])
            self.port = port
        } else {
            self.host = String(authority)
            self.port = 80
        }
        guard !host.isEmpty else { return nil }
        self.path = path
    }

    /// The `Host` header value.
    var hostHeader: String { port == 80 ? host : host + ":" + String(port) }
}
