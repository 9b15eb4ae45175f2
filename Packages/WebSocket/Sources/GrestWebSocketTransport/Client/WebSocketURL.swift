/// A `ws://` URL split into what the client needs.
///
/// ```swift
/// let url = try WebSocketURL("ws://127.0.0.1:8080/chat?room=1")   // host 127.0.0.1, port 8080, target /chat?room=1
/// ```
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The request target: path plus `?query`, always starting with `/`.
    public var target: String

    /// Parses `ws://host[:port][/path][?query]`. `wss://` needs TLS, which this transport does not carry.
    public init(_ text: String) throws(WebSocketClientError) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { throw .invalidURL(text) }
        let scheme = text[..<colon].lowercased()
        guard scheme == "ws" else { throw scheme == "wss" ? .unsupportedScheme(scheme) : .invalidURL(text) }
        var rest = text[text.index(colon, offsetBy: 3)...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if !target.hasPrefix("/") { target = "/" + target }

        var host = Substring(authority)
        var port = 80
        if host.hasPrefix("[") {
            // RFC 3986 §3.2.2: IPv6 literal.
            guard let close = host.firstIndex(of: "]") else { throw .invalidURL(text) }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()) else { throw .invalidURL(text) }
                port = value
            } else if !after.isEmpty {
                throw .invalidURL(text)
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else { throw .invalidURL(text) }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidURL(text) }
        self.host = String(host)
        self.port = port
        self.target = target
    }

    /// The `Host` header value.
    var hostHeader: String {
        let name = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == 80 ? name : "\(name):\(self.port)"
    }

    public var description: String { "ws://\(self.hostHeader)\(self.target)" }
}

/// Why the client could not open a connection.
public enum WebSocketClientError: Error, Hashable, Sendable {
    case invalidURL(String)
    case unsupportedScheme(String)
    /// The server answered without switching protocols (or with a bad `Sec-WebSocket-Accept`).
    case upgradeRejected
    /// The server's `Sec-WebSocket-Extensions` answer is one the client did not offer or cannot accept.
    case invalidExtensionResponse(String)
}
