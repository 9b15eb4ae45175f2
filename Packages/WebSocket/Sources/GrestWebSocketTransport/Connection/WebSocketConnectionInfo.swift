public import NIOCore
public import NIOHTTP1

/// What is known about a connection once the upgrade is done: peer, request and negotiated extensions.
public struct WebSocketConnectionInfo: Sendable {
    /// Whether this end is the server.
    public var isServer: Bool
    public var remoteAddress: SocketAddress?
    public var localAddress: SocketAddress?
    /// The request target's path, without the query (`/chat`).
    public var path: String
    /// The raw query string after `?`, without it; empty when there is none.
    public var query: String
    /// The upgrade request's headers (on the client: the headers it sent).
    public var requestHeaders: HTTPHeaders
    /// The 101 response's headers (on the server: the headers it answered with).
    public var responseHeaders: HTTPHeaders
    /// The negotiated extensions as the server answered them, e.g. `[permessage-deflate; server_no_context_takeover]`.
    public var extensions: [WebSocketExtensionHeader]

    public init(
        isServer: Bool,
        remoteAddress: SocketAddress?,
        localAddress: SocketAddress?,
        uri: String,
        requestHeaders: HTTPHeaders,
        responseHeaders: HTTPHeaders,
        extensions: [WebSocketExtensionHeader]
    ) {
        self.isServer = isServer
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        if let mark = uri.firstIndex(of: "?") {
            self.path = String(uri[..<mark])
            self.query = String(uri[uri.index(after: mark)...])
        } else {
            self.path = uri
            self.query = ""
        }
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.extensions = extensions
    }

    /// The query decoded into name/value pairs, in order (`a=1&b=x%20y` → `[("a","1"),("b","x y")]`).
    public var queryItems: [(name: String, value: String)] {
        self.query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.percentDecode(parts[0]), parts.count > 1 ? Self.percentDecode(parts[1]) : "")
        }
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        self.queryItems.first { $0.name == name }?.value
    }

    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
