// TEMPORARY STUB (replaced by the real writer)
public struct JSONWriter: Sendable {
    public var bytes: [UInt8]
    public init(reservingCapacity: Int = 256) { bytes = []; bytes.reserveCapacity(reservingCapacity) }
    public mutating func writeNull() { bytes.append(contentsOf: "null".utf8) }
    public mutating func writeBool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func writeNumber(_ value: Double) {
        if !value.isFinite { writeNull(); return }
        if value == value.rounded(), abs(value) < 1e15 { bytes.append(contentsOf: String(Int(value)).utf8) } else { bytes.append(contentsOf: value.description.utf8) }
    }
    public mutating func writeInt(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }
    public mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case 0..<0x20: bytes.append(contentsOf: "\\u00".utf8); let h = Array("0123456789abcdef".utf8); bytes.append(h[Int(b >> 4)]); bytes.append(h[Int(b & 15)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
    public mutating func writeRaw(_ byte: UInt8) { bytes.append(byte) }
    public mutating func writeRaw(_ bytes: some Sequence<UInt8>) { self.bytes.append(contentsOf: bytes) }
    public mutating func writeKey(_ key: String) { writeString(key); bytes.append(UInt8(ascii: ":")) }
    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeNull()
        case .bool(let b): writeBool(b)
        case .number(let n): writeNumber(n)
        case .string(let s): writeString(s)
        case .array(let a):
            writeRaw(UInt8(ascii: "["))
            for (i, v) in a.enumerated() { if i > 0 { writeRaw(UInt8(ascii: ",")) }; write(v) }
            writeRaw(UInt8(ascii: "]"))
        case .object(let o):
            writeRaw(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() { if i > 0 { writeRaw(UInt8(ascii: ",")) }; writeKey(m.key); write(m.value) }
            writeRaw(UInt8(ascii: "}"))
        }
    }
}
extension JSONValue {
    public func jsonBytes() -> [UInt8] { var w = JSONWriter(); w.write(self); return w.bytes }
    public var jsonString: String { String(decoding: jsonBytes(), as: UTF8.self) }
}
