public import Tagged

/// Phantom tag of ``IPAddress``.
public enum IPAddressTag {}
/// An IPv4 or IPv6 address in text form, accepted by ``IsIp`` (grest-ts `tIp`).
public typealias IPAddress = Tagged<IPAddressTag, String>

/// IPv4 and IPv6 addresses, including `::` compression, embedded IPv4 (`::ffff:1.2.3.4`) and link-local
/// zones (`fe80::1%eth0`) (grest-ts `IsIp`).
///
/// Anything else reports `invalid.ip`. The accepted set is exactly that of grest-ts's regexes, quirks
/// included: IPv4 octets may have leading zeros (`010.0.0.1`), while `::FFFF:1.2.3.4` (upper-case
/// `FFFF`) and `1::2:1.2.3.4` are rejected.
public let IsIp: Schema<IPAddress> =
    IsString
    .refine(.ip) { IPAddressText.isValid($0) }
    .brand(IPAddressTag.self, name: "ip")
    .docs(title: "IP address", description: "IPv4 or IPv6", examples: ["192.168.1.1", "::1"], format: "ip")

/// The grest-ts `isValidIp` check, matched over UTF-8 bytes.
///
/// grest-ts first tries `IPV4_REGEX = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/`; on a match the
/// answer is whether every octet is ≤ 255 (no fallback). Otherwise it is `IPV6_REGEX`:
/// ```
/// ^(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}:|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|
/// ([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}|
/// ([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}|
/// [0-9a-fA-F]{1,4}:((:[0-9a-fA-F]{1,4}){1,6})|:((:[0-9a-fA-F]{1,4}){1,7}|:)|fe80:(:[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+|
/// ::(ffff(:0{1,4})?:)?((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9])|
/// ([0-9a-fA-F]{1,4}:){1,4}:((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9]))$
/// ```
/// whose alternatives fall into three disjoint families, told apart by `%` and `.`:
/// - with `%`: the `fe80:` zone alternative;
/// - with `.`: the two embedded-IPv4 alternatives;
/// - otherwise hex groups (`H` = 1–4 hex digits): eight groups without `::` (first alternative), or exactly
///   one `::` with n groups before and m after where n + m ≤ 7 (the union of the next eight).
enum IPAddressText {
    static func isValid(_ value: String) -> Bool {
        ASCIIByte.withBytes(of: value) { isValid(bytes: $0) }
    }

    static func isValid(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let largestOctet = ipv4ShapeLargestOctet(bytes) { return largestOctet <= 255 }
        return isIPv6(bytes)
    }

    /// The largest octet when `bytes` has the `\d{1,3}(\.\d{1,3}){3}` shape, else `nil`.
    private static func ipv4ShapeLargestOctet(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var largest = 0
        var index = 0
        for octet in 0..<4 {
            if octet > 0 {
                guard index < bytes.count, bytes[index] == ASCIIByte.dot else { return nil }
                index += 1
            }
            var value = 0
            var length = 0
            while index < bytes.count, length < 3, ASCIIByte.isDigit(bytes[index]) {
                value = value * 10 + Int(bytes[index] &- UInt8(ascii: "0"))
                index += 1
                length += 1
            }
            guard length > 0 else { return nil }
            largest = max(largest, value)
        }
        return index == bytes.count ? largest : nil
    }

    static func isIPv6(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let percent = bytes.firstIndex(of: ASCIIByte.percent) { return isLinkLocalWithZone(bytes, percent: percent) }
        if bytes.contains(ASCIIByte.dot) { return isEmbeddedIPv4(bytes) }
        guard bytes.allSatisfy({ ASCIIByte.isHexDigit($0) || $0 == ASCIIByte.colon }) else { return false }
        guard let compression = firstDoubleColon(bytes, in: 0..<bytes.count) else {
            return groupCount(bytes, 0..<bytes.count) == 8
        }
        guard let before = groupCount(bytes, 0..<compression), let after = groupCount(bytes, (compression + 2)..<bytes.count) else {
            return false
        }
        return before + after <= 7
    }

    /// `fe80:(:[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+` (`fe80` in lower case only: the regex has no `i` flag).
    private static func isLinkLocalWithZone(_ bytes: UnsafeBufferPointer<UInt8>, percent: Int) -> Bool {
        guard percent >= 5, bytes[0..<5].elementsEqual("fe80:".utf8) else { return false }
        var index = 5
        var segments = 0
        while index < percent {
            guard bytes[index] == ASCIIByte.colon, segments < 4 else { return false }
            index += 1
            segments += 1
            var length = 0
            while index < percent, ASCIIByte.isHexDigit(bytes[index]) {
                index += 1
                length += 1
            }
            guard length <= 4 else { return false }
        }
        let zone = bytes[(percent + 1)...]
        return !zone.isEmpty && zone.allSatisfy(ASCIIByte.isAlphanumeric)
    }

    /// The two embedded-IPv4 alternatives: `::(ffff(:0{1,4})?:)?IPV4` and `([0-9a-fA-F]{1,4}:){1,4}:IPV4`.
    private static func isEmbeddedIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let lastColon = bytes.lastIndex(of: ASCIIByte.colon), isRegexIPv4(bytes[(lastColon + 1)...]) else { return false }
        let head = bytes[...lastColon]  // ends with ":"
        if head.elementsEqual("::".utf8) { return true }
        if head.starts(with: "::ffff:".utf8) {
            let zeros = head.dropFirst(7).dropLast()  // between "::ffff:" and the final ":"
            return head.count == 7 || ((1...4).contains(zeros.count) && zeros.allSatisfy { $0 == UInt8(ascii: "0") })
        }
        guard head.count > 2, bytes[lastColon - 1] == ASCIIByte.colon, let groups = groupCount(bytes, 0..<(lastColon - 1)) else {
            return false
        }
        return (1...4).contains(groups)
    }

    /// `((25[0-5]|(2[0-4]|1?[0-9])?[0-9])\.){3}(25[0-5]|(2[0-4]|1?[0-9])?[0-9])`: each octet is one or two
    /// digits (leading zero allowed), or three digits from 100 to 255.
    private static func isRegexIPv4(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var octets = 0
        var index = bytes.startIndex
        while index <= bytes.endIndex {
            var end = index
            while end < bytes.endIndex, ASCIIByte.isDigit(bytes[end]) { end += 1 }
            let length = end - index
            guard (1...3).contains(length) else { return false }
            if length == 3 {
                let value = Int(bytes[index] &- 48) * 100 + Int(bytes[index + 1] &- 48) * 10 + Int(bytes[index + 2] &- 48)
                guard (100...255).contains(value) else { return false }
            }
            octets += 1
            if end == bytes.endIndex { break }
            guard bytes[end] == ASCIIByte.dot, octets < 4 else { return false }
            index = end + 1
        }
        return octets == 4
    }

    /// The number of `[0-9a-fA-F]{1,4}` groups separated by single colons in `range` (0 when empty), or
    /// `nil` when an empty or over-long group, or any other byte, occurs.
    private static func groupCount(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return 0 }
        var groups = 0
        var length = 0
        for index in range {
            let byte = bytes[index]
            if byte == ASCIIByte.colon {
                guard length > 0 else { return nil }
                groups += 1
                length = 0
            } else {
                guard ASCIIByte.isHexDigit(byte), length < 4 else { return nil }
                length += 1
            }
        }
        guard length > 0 else { return nil }
        return groups + 1
    }

    private static func firstDoubleColon(_ bytes: UnsafeBufferPointer<UInt8>, in range: Range<Int>) -> Int? {
        var index = range.lowerBound
        while index + 1 < range.upperBound {
            if bytes[index] == ASCIIByte.colon && bytes[index + 1] == ASCIIByte.colon { return index }
            index += 1
        }
        return nil
    }
}
