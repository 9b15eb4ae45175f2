import Crypto
import Foundation

/// Identifies a shareable connection: the URL plus the handshake headers (and an optional group), hashed.
///
/// grest-ts keys are `fullUrl + "::" + k=v&…` and so hold bearer tokens in plain text.
/// Here the readable part keeps only `scheme://host:port/path` (user info and query removed) and
/// everything that identifies the connection (full URL, sorted headers, group) goes through swift-crypto's SHA-256, of
/// which 128 bits are kept: `ws://chat.example/ws/chat#3f9a…`. The hash is stable across runs and
/// processes, so keys can be logged and compared.
public struct SocketPoolKey: Sendable, Hashable, CustomStringConvertible {
    /// The key text; never contains header values or the query.
    public let value: String

    public init(url: String, headers: [String: String], group: String? = nil) {
        var material: [UInt8] = []
        func append(_ text: String) {
            // Length-prefixed, so no choice of separators inside values can make two inputs collide.
            material.append(contentsOf: String(text.utf8.count).utf8)
            material.append(UInt8(ascii: ":"))
            material.append(contentsOf: text.utf8)
        }
        append(url)
        append(group ?? "")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            append(name)
            append(value)
        }
        let digest = Array(SHA256.hash(data: material))
        self.value = Self.displayPart(of: url) + (group.map { "@" + $0 } ?? "") + "#" + Self.hex(digest.prefix(16))
    }

    public var description: String { value }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `scheme://host:port/path` without user info, query or fragment.
    static func displayPart(of url: String) -> String {
        var rest = Substring(url)
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        guard let schemeEnd = rest.range(of: "://") else { return String(rest) }
        let scheme = rest[..<schemeEnd.lowerBound]
        var afterScheme = rest[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        afterScheme = afterScheme[authorityEnd...]
        return scheme + "://" + authority + afterScheme
    }
}
