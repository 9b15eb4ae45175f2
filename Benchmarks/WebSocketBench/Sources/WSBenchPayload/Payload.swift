// The payloads of bench-ws's load clients (ws-load and ws-load-raw), so both send exactly the same bytes.
import NIOCore

/// JSON-like payloads of exactly `size` bytes (ASCII, so valid UTF-8): an array of user records with varied values,
/// padded with spaces before the closing bracket. Deterministic in `seed`, so every server gets the same bytes.
public enum Payload {
    public static func make(size: Int, seed: UInt64) -> ByteBuffer {
        var random = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(bound))
        }
        let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"]
        let tags = ["admin", "beta", "billing", "eu-west", "mobile", "premium", "trial", "us-east", "web"]
        var text = "["
        var records: [String] = []
        while true {
            let name = names[next(names.count)]
            let id = 10_000 + next(90_000)
            let record =
                "{\"id\":\(id),\"user\":\"\(name)\(next(1000))\",\"email\":\"\(name).\(id)@example.com\","
                + "\"active\":\(next(2) == 0 ? "true" : "false"),\"score\":\(next(100)).\(next(10)),"
                + "\"tags\":[\"\(tags[next(tags.count)])\",\"\(tags[next(tags.count)])\"]}"
            let candidate = text + (records.isEmpty ? "" : ",") + record
            if candidate.utf8.count + 1 > size { break }
            text = candidate
            records.append(record)
        }
        if text.utf8.count + 1 > size {  // smaller than one record: a truncated object, still ASCII
            text = String(text.prefix(max(0, size - 1)))
        }
        text += String(repeating: " ", count: max(0, size - 1 - text.utf8.count)) + "]"
        var buffer = ByteBuffer(string: String(text.prefix(size)))
        if buffer.readableBytes < size { buffer.writeRepeatingByte(UInt8(ascii: " "), count: size - buffer.readableBytes) }
        return buffer
    }
}
