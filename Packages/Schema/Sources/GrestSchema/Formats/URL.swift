public import Tagged

/// Phantom tag of ``URLString``.
public enum URLStringTag {}
/// An absolute `http`/`https` URL accepted by ``IsUrl``, kept as its text (grest-ts `tUrl`).
public typealias URLString = Tagged<URLStringTag, String>

/// Absolute HTTP and HTTPS URLs (grest-ts `IsUrl`: `new URL(v)` succeeds with protocol `http:`/`https:`).
///
/// A string that is not such a URL reports `invalid.url`. See ``HTTPURL`` for where this check is
/// stricter or looser than the WHATWG parser that grest-ts relies on.
public let IsUrl: Schema<URLString> =
    IsString
    .refine(.url) { HTTPURL.isValid($0) }
    .brand(URLStringTag.self, name: "url")
    .docs(title: "URL", description: "HTTP or HTTPS URL", example: "https://example.com", format: "uri")

/// A WHATWG URL Standard style check for `http` and `https` URLs, without Foundation.
///
/// It follows the standard's basic URL parser for special schemes: the scheme (any case), the
/// authority up to the first `/`, `\`, `?` or `#`, userinfo up to the last `@`, a host that is a
/// bracketed IPv6 address (§3.5 IPv6 parser), an IPv4 address in any form the §3.5 IPv4 parser takes
/// (`127.1`, `0x7f.0.0.1`) whenever the host "ends in a number", or else a domain (percent-decoded,
/// free of forbidden domain code points), then an optional port 0–65535.
///
/// Deviations from `new URL(v)`:
/// - `://` is required: `http:example.com`, `http:/x`, `http:///x` and `http:\\x` are rejected
///   (the standard skips any run of slashes and backslashes).
/// - Spaces, C0 controls and DEL are rejected anywhere; the standard trims them from both ends,
///   deletes tabs and newlines everywhere, and percent-encodes spaces in the path, query and fragment.
/// - No UTS 46 processing of domains: `xn--` labels are not Punycode-checked, and non-ASCII labels are
///   accepted as they are (minus C1 controls, JavaScript whitespace and U+FFFD) instead of being mapped
///   and validated, so full-width dots, digits or symbols and other IDNA-disallowed code points are not
///   treated as the browser treats them.
enum HTTPURL {
    static func isValid(_ value: String) -> Bool {
        ASCIIByte.withBytes(of: value) { isValid(bytes: $0) }
    }

    static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !bytes.contains(where: ASCIIByte.isControlOrSpace) else { return false }
        guard let authorityStart = schemeEnd(bytes) else { return false }

        var authorityEnd = authorityStart
        while authorityEnd < bytes.count, !isAuthorityTerminator(bytes[authorityEnd]) { authorityEnd += 1 }

        // URL §4.4 authority state: everything before the last `@` is userinfo (percent-encoded, never invalid).
        var hostStart = authorityStart
        if let at = bytes[authorityStart..<authorityEnd].lastIndex(of: ASCIIByte.at) { hostStart = at + 1 }

        // URL §4.4 host state: a `:` outside brackets starts the port.
        var hostEnd = hostStart
        var isInsideBrackets = false
        while hostEnd < authorityEnd {
            let byte = bytes[hostEnd]
            if byte == UInt8(ascii: "[") {
                isInsideBrackets = true
            } else if byte == UInt8(ascii: "]") {
                isInsideBrackets = false
            } else if byte == ASCIIByte.colon && !isInsideBrackets {
                break
            }
            hostEnd += 1
        }
        guard hostEnd > hostStart, isValidHost(UnsafeBufferPointer(rebasing: bytes[hostStart..<hostEnd])) else { return false }
        if hostEnd < authorityEnd, !isValidPort(bytes[(hostEnd + 1)..<authorityEnd]) { return false }
        // Path, query and fragment: anything but spaces and controls, already excluded above.
        return true
    }

    /// The index after `http://` or `https://` (scheme in any case), or `nil`.
    private static func schemeEnd(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count > 4 else { return nil }
        for (index, expected) in "http".utf8.enumerated() where bytes[index] | 0x20 != expected { return nil }
        var index = 4
        if bytes[index] | 0x20 == UInt8(ascii: "s") { index += 1 }
        guard bytes.count >= index + 3, bytes[index] == ASCIIByte.colon, bytes[index + 1] == UInt8(ascii: "/"),
            bytes[index + 2] == UInt8(ascii: "/")
        else { return nil }
        return index + 3
    }

    /// URL §4.4: for special schemes the authority ends at `/`, `\`, `?` or `#`.
    private static func isAuthorityTerminator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
    }

    /// URL §4.4 port state: digits only (none at all is allowed), value ≤ 65535, leading zeros allowed.
    private static func isValidPort(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var port = 0
        for byte in bytes {
            guard ASCIIByte.isDigit(byte) else { return false }
            port = port * 10 + Int(byte - UInt8(ascii: "0"))
            if port > 65535 { return false }
        }
        return true
    }

    // MARK: Host

    /// URL §3.5 host parser for special schemes.
    static func isValidHost(_ host: UnsafeBufferPointer<UInt8>) -> Bool {
        if host[0] == UInt8(ascii: "[") {
            guard host.count >= 2, host[host.count - 1] == UInt8(ascii: "]") else { return false }
            return isValidIPv6(UnsafeBufferPointer(rebasing: host[1..<(host.count - 1)]))
        }
        guard host.contains(ASCIIByte.percent) else { return isValidDomain(host) }
        // Percent-decode first; `%` not followed by two hex digits stays and is then forbidden.
        var decoded: [UInt8] = []
        decoded.reserveCapacity(host.count)
        var index = 0
        while index < host.count {
            if host[index] == ASCIIByte.percent, index + 2 < host.count,
                ASCIIByte.isHexDigit(host[index + 1]), ASCIIByte.isHexDigit(host[index + 2])
            {
                decoded.append(ASCIIByte.hexValue(host[index + 1]) << 4 | ASCIIByte.hexValue(host[index + 2]))
                index += 3
            } else {
                decoded.append(host[index])
                index += 1
            }
        }
        return decoded.withUnsafeBufferPointer { isValidDomain($0) }
    }

    /// A decoded domain: no forbidden domain code point, then the IPv4 parser when it ends in a number.
    private static func isValidDomain(_ domain: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !domain.isEmpty else { return false }
        var hasNonASCII = false
        for byte in domain {
            if byte >= 0x80 {
                hasNonASCII = true
            } else if isForbiddenDomainByte(byte) {
                return false
            }
        }
        if hasNonASCII {
            // UTF-8 decode: malformed input would become U+FFFD, which IDNA disallows.
            guard let text = String(validating: domain, as: UTF8.self) else { return false }
            for scalar in text.unicodeScalars where scalar.value >= 0x80 {
                if scalar.value <= 0x9F || scalar.value == 0xFFFD || JavaScriptString.isWhitespace(scalar) { return false }
            }
        }
        return endsInNumber(domain) ? isValidIPv4(domain) : true
    }

    /// URL §3.2 forbidden domain code points (ASCII part): C0 controls, space, `#%/:<>?@[\]^|` and DEL.
    private static func isForbiddenDomainByte(_ byte: UInt8) -> Bool {
        if ASCIIByte.isControlOrSpace(byte) { return true }
        switch byte {
        case UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: "/"), UInt8(ascii: ":"), UInt8(ascii: "<"), UInt8(ascii: ">"),
            UInt8(ascii: "?"), UInt8(ascii: "@"), UInt8(ascii: "["), UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "^"),
            UInt8(ascii: "|"):
            return true
        default:
            return false
        }
    }

    /// URL §3.5 "ends in a number": the last label (ignoring one trailing empty label) is all digits
    /// or a `0x` hexadecimal number.
    private static func endsInNumber(_ domain: UnsafeBufferPointer<UInt8>) -> Bool {
        var end = domain.count
        if domain[end - 1] == ASCIIByte.dot, end > 1 { end -= 1 }
        var start = end
        while start > 0, domain[start - 1] != ASCIIByte.dot { start -= 1 }
        let last = domain[start..<end]
        guard !last.isEmpty else { return false }
        if last.allSatisfy(ASCIIByte.isDigit) { return true }
        return last.count >= 2 && last[start] == UInt8(ascii: "0") && last[start + 1] | 0x20 == UInt8(ascii: "x")
            && last.dropFirst(2).allSatisfy(ASCIIByte.isHexDigit)
    }

    /// URL §3.5 IPv4 parser: 1–4 parts of decimal, `0`-prefixed octal or `0x` hexadecimal numbers; all but
    /// the last ≤ 255, the last < 256^(5 − parts).
    private static func isValidIPv4(_ host: UnsafeBufferPointer<UInt8>) -> Bool {
        var end = host.count
        if host[end - 1] == ASCIIByte.dot, end > 1 { end -= 1 }
        var parts: [UInt64] = []
        var start = 0
        for index in 0...end {
            guard index == end || host[index] == ASCIIByte.dot else { continue }
            guard parts.count < 4, let number = ipv4Number(host[start..<index]) else { return false }
            parts.append(number)
            start = index + 1
        }
        for part in parts.dropLast() where part > 255 { return false }
        let limit: UInt64 = 1 << (8 * UInt64(5 - parts.count))
        return parts[parts.count - 1] < limit
    }

    /// URL §3.5 IPv4 number parser; values saturate above 2^40, which every limit is below.
    private static func ipv4Number(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64? {
        guard !part.isEmpty else { return nil }
        var digits = part
        var radix: UInt64 = 10
        if part.count >= 2, part[part.startIndex] == UInt8(ascii: "0") {
            if part[part.startIndex + 1] | 0x20 == UInt8(ascii: "x") {
                radix = 16
                digits = part.dropFirst(2)
            } else {
                radix = 8
                digits = part.dropFirst()
            }
        }
        var value: UInt64 = 0
        for byte in digits {
            guard ASCIIByte.isHexDigit(byte) else { return nil }
            let digit = UInt64(ASCIIByte.hexValue(byte))
            guard digit < radix else { return nil }
            value = min(value * radix + digit, 1 << 40)
        }
        return value
    }

    /// URL §3.5 IPv6 parser (no zone identifiers; an embedded IPv4 tail takes decimal parts without
    /// leading zeros).
    static func isValidIPv6(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        var pieceIndex = 0
        var compress: Int?
        var pointer = 0
        func byte(at index: Int) -> UInt8? { index < input.count ? input[index] : nil }

        if byte(at: 0) == ASCIIByte.colon {
            guard byte(at: 1) == ASCIIByte.colon else { return false }
            pointer = 2
            pieceIndex = 1
            compress = 1
        }
        while let current = byte(at: pointer) {
            guard pieceIndex < 8 else { return false }
            if current == ASCIIByte.colon {
                guard compress == nil else { return false }
                pointer += 1
                pieceIndex += 1
                compress = pieceIndex
                continue
            }
            var length = 0
            while length < 4, let digit = byte(at: pointer), ASCIIByte.isHexDigit(digit) {
                pointer += 1
                length += 1
            }
            if byte(at: pointer) == ASCIIByte.dot {
                guard length > 0, pieceIndex <= 6 else { return false }
                // The tail fills two pieces, and the usual "eight pieces or a `::`" rule still applies.
                return isValidIPv6IPv4Tail(input, from: pointer - length) && (compress != nil || pieceIndex + 2 == 8)
            }
            if byte(at: pointer) == ASCIIByte.colon {
                pointer += 1
                guard byte(at: pointer) != nil else { return false }
            } else if byte(at: pointer) != nil {
                return false
            }
            pieceIndex += 1
        }
        return compress != nil || pieceIndex == 8
    }

    /// The IPv4 section of the URL §3.5 IPv6 parser: exactly four dot-separated decimal numbers ≤ 255
    /// without leading zeros, running to the end of the input.
    private static func isValidIPv6IPv4Tail(_ input: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var pointer = start
        var numbersSeen = 0
        while pointer < input.count {
            if numbersSeen > 0 {
                guard input[pointer] == ASCIIByte.dot, numbersSeen < 4 else { return false }
                pointer += 1
            }
            guard pointer < input.count, ASCIIByte.isDigit(input[pointer]) else { return false }
            var piece: Int?
            while pointer < input.count, ASCIIByte.isDigit(input[pointer]) {
                let number = Int(input[pointer] - UInt8(ascii: "0"))
                switch piece {
                case nil: piece = number
                case 0?: return false
                case let value?: piece = value * 10 + number
                }
                if piece! > 255 { return false }
                pointer += 1
            }
            numbersSeen += 1
        }
        return numbersSeen == 4
    }
}
