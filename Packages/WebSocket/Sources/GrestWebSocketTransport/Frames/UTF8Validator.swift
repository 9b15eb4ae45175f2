import NIOCore

/// Incremental UTF-8 validation across fragment boundaries (RFC 6455 §8.1, RFC 3629 §4).
///
/// Fails on the first byte that no valid continuation could rescue (overlongs, surrogates, code points above
/// U+10FFFF), so a text message is rejected as soon as its invalid prefix arrives, not when it completes.
struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current scalar.
    private var remaining: UInt8 = 0
    /// Inclusive bounds for the next continuation byte (narrower than 80...BF right after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether everything validated so far ends on a scalar boundary.
    var isComplete: Bool { self.remaining == 0 }

    /// Feeds more bytes; returns `false` as soon as the input can no longer be valid UTF-8.
    mutating func validate(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { self.validate($0) }
    }

    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            if self.remaining == 0 {
                // ASCII fast path: 32 bytes at a time, then 8.
                while index + 32 <= count {
                    let a = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    let b = bytes.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                    let c = bytes.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self)
                    let d = bytes.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
                    if (a | b | c | d) & 0x8080_8080_8080_8080 != 0 { break }
                    index += 32
                }
                while index + 8 <= count {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index += 8
                }
                if index >= count { break }
                let byte = bytes[index]
                index += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: self.expect(1, 0x80, 0xBF)
                case 0xE0: self.expect(2, 0xA0, 0xBF)  // no overlongs
                case 0xE1...0xEC, 0xEE...0xEF: self.expect(2, 0x80, 0xBF)
                case 0xED: self.expect(2, 0x80, 0x9F)  // no UTF-16 surrogates
                case 0xF0: self.expect(3, 0x90, 0xBF)  // no overlongs
                case 0xF1...0xF3: self.expect(3, 0x80, 0xBF)
                case 0xF4: self.expect(3, 0x80, 0x8F)  // nothing above U+10FFFF
                default: return false
                }
            } else {
                let byte = bytes[index]
                index += 1
                guard byte >= self.lower && byte <= self.upper else { return false }
                self.expect(self.remaining - 1, 0x80, 0xBF)
            }
        }
        return true
    }

    private mutating func expect(_ remaining: UInt8, _ lower: UInt8, _ upper: UInt8) {
        self.remaining = remaining
        self.lower = lower
        self.upper = upper
    }
}
