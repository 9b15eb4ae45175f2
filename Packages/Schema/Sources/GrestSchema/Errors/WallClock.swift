#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Milliseconds since the Unix epoch (JavaScript `Date.now()`), without Foundation.
enum WallClock {
    static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

enum Base36 {
    private static let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    static func encode(_ value: UInt64) -> String {
        if value == 0 { return "0" }
        var value = value
        var result: [UInt8] = []
        while value > 0 {
            result.append(digits[Int(value % 36)])
            value /= 36
        }
        return String(decoding: result.reversed(), as: UTF8.self)
    }

    /// `count` random base-36 characters.
    static func random(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<count).map { _ in digits[Int(generator.next(upperBound: UInt8(36)))] }, as: UTF8.self)
    }
}
