/// One element of a `Sec-WebSocket-Extensions` header: an extension token with its parameters (RFC 6455 §9.1).
///
/// ```swift
/// let offers = WebSocketExtensionHeader.parse(["permessage-deflate; client_max_window_bits, x-foo"])
/// offers?[0].parameter("client_max_window_bits")  // .some(nil): present, without a value
/// ```
public struct WebSocketExtensionHeader: Hashable, Sendable, CustomStringConvertible {
    /// An `extension-param`: a token with an optional token or quoted-string value (unquoted here).
    public struct Parameter: Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(_ name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// The extension token, e.g. `permessage-deflate`.
    public var name: String
    public var parameters: [Parameter]

    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// The value of the first parameter called `name`: `nil` when absent, `.some(nil)` when present without a value.
    public func parameter(_ name: String) -> String?? {
        self.parameters.first { $0.name == name }.map { $0.value }
    }

    /// The header-element form, e.g. `permessage-deflate; server_max_window_bits=10`.
    public var description: String {
        var text = self.name
        for parameter in self.parameters {
            text += "; " + parameter.name
            if let value = parameter.value { text += "=" + value }
        }
        return text
    }

    /// Parses every `Sec-WebSocket-Extensions` header value of a request or response, in order.
    ///
    /// - Returns: the elements, or `nil` when the syntax is broken (a server then ignores the header,
    ///   a client fails the connection).
    public static func parse<Values: Sequence<String>>(_ headerValues: Values) -> [WebSocketExtensionHeader]? {
        var result: [WebSocketExtensionHeader] = []
        for value in headerValues {
            guard let elements = self.parseList(Substring(value)) else { return nil }
            result += elements
        }
        return result
    }

    private static func parseList(_ value: Substring) -> [WebSocketExtensionHeader]? {
        var elements: [WebSocketExtensionHeader] = []
        var scanner = Scanner(value)
        while true {
            scanner.skipWhitespace()
            if scanner.isAtEnd { break }
            if scanner.consume(",") { continue }  // RFC 7230 §7: empty list elements are allowed
            guard let name = scanner.token() else { return nil }
            var element = WebSocketExtensionHeader(name: name.lowercased())
            while true {
                scanner.skipWhitespace()
                guard scanner.consume(";") else { break }
                scanner.skipWhitespace()
                guard let parameterName = scanner.token() else { return nil }
                scanner.skipWhitespace()
                var parameterValue: String? = nil
                if scanner.consume("=") {
                    scanner.skipWhitespace()
                    // RFC 6455 §9.1: a quoted-string value must, once unquoted, still be a token.
                    guard let value = scanner.quotedString() ?? scanner.token(), Self.isToken(value) else { return nil }
                    parameterValue = value
                }
                element.parameters.append(Parameter(parameterName.lowercased(), value: parameterValue))
            }
            elements.append(element)
            scanner.skipWhitespace()
            if scanner.isAtEnd { break }
            guard scanner.consume(",") else { return nil }
        }
        return elements
    }

    static func isToken<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(Scanner.isTokenByte)
    }

    private struct Scanner {
        let utf8: Substring.UTF8View
        var index: Substring.UTF8View.Index

        init(_ text: Substring) {
            self.utf8 = text.utf8
            self.index = self.utf8.startIndex
        }

        var isAtEnd: Bool { self.index == self.utf8.endIndex }

        mutating func skipWhitespace() {
            while !self.isAtEnd, self.utf8[self.index] == UInt8(ascii: " ") || self.utf8[self.index] == UInt8(ascii: "\t") {
                self.utf8.formIndex(after: &self.index)
            }
        }

        mutating func consume(_ character: Unicode.Scalar) -> Bool {
            guard !self.isAtEnd, self.utf8[self.index] == UInt8(ascii: character) else { return false }
            self.utf8.formIndex(after: &self.index)
            return true
        }

        mutating func token() -> String? {
            let start = self.index
            while !self.isAtEnd, Self.isTokenByte(self.utf8[self.index]) { self.utf8.formIndex(after: &self.index) }
            guard start != self.index else { return nil }
            return String(Substring(self.utf8[start..<self.index]))
        }

        mutating func quotedString() -> String? {
            guard self.consume("\"") else { return nil }
            var bytes: [UInt8] = []
            while !self.isAtEnd {
                let byte = self.utf8[self.index]
                self.utf8.formIndex(after: &self.index)
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: bytes, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard !self.isAtEnd else { return nil }
                    bytes.append(self.utf8[self.index])
                    self.utf8.formIndex(after: &self.index)
                default: bytes.append(byte)
                }
            }
            return nil
        }

        /// RFC 7230 §3.2.6 tchar.
        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
                UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
                UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                true
            default:
                false
            }
        }
    }
}
