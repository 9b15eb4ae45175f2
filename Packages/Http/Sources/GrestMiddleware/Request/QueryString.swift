package import GrestSchema

/// `application/x-www-form-urlencoded` query strings, as grest-ts reads and writes them.
package enum QueryString {
    /// Reads `a=1&b=x&a=2` into an object: strings, a repeated key becomes an array.
    package static func parse(_ query: Substring, into object: inout JSONObject) {
        guard !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: String
            let value: String
            if let equals = pair.firstIndex(of: "=") {
                name = PercentEncoding.decode(pair[..<equals], plusAsSpace: true)
                value = PercentEncoding.decode(pair[pair.index(after: equals)...], plusAsSpace: true)
            } else {
                name = PercentEncoding.decode(pair, plusAsSpace: true)
                value = ""
            }
            guard !name.isEmpty else { continue }
            switch object[name] {
            case .array(var values)?:
                values.append(.string(value))
                object[name] = .array(values)
            case let existing?:
                object[name] = .array([existing, .string(value)])
            case nil:
                object.append(name, .string(value))
            }
        }
    }

    package static func firstValue(of name: String, in query: Substring) -> String? {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key = pair.firstIndex(of: "=").map { pair[..<$0] } ?? pair[...]
            if PercentEncoding.decode(key, plusAsSpace: true) == name {
                return pair.firstIndex(of: "=").map { PercentEncoding.decode(pair[pair.index(after: $0)...], plusAsSpace: true) } ?? ""
            }
        }
        return nil
    }

    /// Appends `name=value` pairs for one input field: scalars as text, arrays as repeated keys,
    /// objects as JSON text; `null` is left out.
    package static func append(_ name: String, _ value: JSONValue, to query: inout String) {
        switch value {
        case .null:
            return
        case .array(let items):
            for item in items { append(name, item, to: &query) }
        default:
            if !query.isEmpty { query += "&" }
            query += PercentEncoding.encode(name) + "=" + PercentEncoding.encode(text(of: value))
        }
    }

    /// A value as JavaScript's `String(v)` would print it (objects as JSON).
    package static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let string): string
        case .null: ""
        case .bool(let bool): bool ? "true" : "false"
        default: value.jsonString
        }
    }
}

/// Percent-encoding (RFC 3986 §2.1) without Foundation.
package enum PercentEncoding {
    /// Decodes `%XX` escapes (and `+` as space when asked); malformed escapes are kept as they are.
    package static func decode(_ text: Substring, plusAsSpace: Bool = false) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else { return String(text) }
        // Lenient never answers nil.
        return String(decoding: decodedBytes(text, plusAsSpace: plusAsSpace, strict: false) ?? [], as: UTF8.self)
    }

    /// Decodes `%XX` escapes (`+` stays `+`, as in a URL path); `nil` for a malformed escape or invalid UTF-8.
    package static func decodeStrictly(_ text: Substring) -> String? {
        // Without an escape there is nothing to decode and nothing to reject (a Substring is valid UTF-8 already).
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        guard let bytes = decodedBytes(text, plusAsSpace: false, strict: true) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The bytes `text` decodes to; a malformed escape is `nil` when `strict`, else kept as it is.
    private static func decodedBytes(_ text: Substring, plusAsSpace: Bool, strict: Bool) -> [UInt8]? {
        let utf8 = text.utf8
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                if let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), high < utf8.endIndex,
                    let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
                    let h = hexValue(utf8[high]), let l = hexValue(utf8[low])
                {
                    bytes.append(h << 4 | l)
                    index = utf8.index(after: low)
                    continue
                }
                if strict { return nil }
            }
            bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return bytes
    }

    /// Encodes everything but RFC 3986 unreserved characters (JavaScript `encodeURIComponent`, minus `!'()*`).
    package static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
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
