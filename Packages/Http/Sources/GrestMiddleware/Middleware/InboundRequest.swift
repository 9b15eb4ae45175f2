public import NIOHTTP1

/// A request (or WebSocket handshake) as server-side middleware sees it (``TransportMiddleware/parse(_:)``).
public struct InboundRequest: Sendable {
    /// `http` for a call, `webSocket` for a handshake.
    public let transport: TransportKind
    public let method: String
    /// The path, without the query.
    public let path: String
    public let headers: HTTPHeaders
    /// The raw query string (after `?`), without decoding.
    public let rawQuery: Substring

    public init(transport: TransportKind, method: String, path: String, rawQuery: Substring = "", headers: HTTPHeaders) {
        self.transport = transport
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.headers = headers
    }

    /// Builds one from a request head (splits the URI into path and query).
    public init(transport: TransportKind, head: HTTPRequestHead) {
        let (path, query) = RequestTarget.split(head.uri)
        self.init(transport: transport, method: head.method.rawValue, path: String(path), rawQuery: query, headers: head.headers)
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first(name: name)
    }

    /// The decoded value of query parameter `name` (the first one when repeated).
    public func query(_ name: String) -> String? {
        QueryString.firstValue(of: name, in: rawQuery)
    }

    /// The value of cookie `name` from the `Cookie` header(s).
    public func cookie(_ name: String) -> String? {
        for line in headers[canonicalForm: "cookie"] {
            for pair in line.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == name {
                    var value = trimmed[trimmed.index(after: equals)...]
                    if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                    return String(value)
                }
            }
        }
        return nil
    }

    /// The token of an `Authorization: Bearer <token>` header.
    public var bearerToken: String? {
        guard let value = header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }
}
