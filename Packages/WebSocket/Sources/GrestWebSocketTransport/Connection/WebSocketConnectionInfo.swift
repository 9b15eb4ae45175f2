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

    /// Decodes `%XX` escapes and `+` as a space (form encoding). A `%` not followed by two hex digits is kept as it
    /// is, with what follows it; invalid UTF-8 becomes U+FFFD.
    static func percentDecode(_ text: Substring) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard index < utf8.endIndex, let high = hexValue(utf8[index]) else {
                    bytes.append(byte)
                    continue
                }
                let lowIndex = utf8.index(after: index)
                guard lowIndex < utf8.endIndex, let low = hexValue(utf8[lowIndex]) else {
                    bytes.append(byte)
                    continue
                }
                bytes.append(high << 4 | low)
                index = utf8.index(after: lowIndex)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
