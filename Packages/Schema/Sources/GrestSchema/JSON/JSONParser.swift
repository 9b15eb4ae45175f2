// TEMPORARY STUB (replaced by the real parser)
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var description: String { "Invalid JSON at offset \(offset)" }
}
public struct JSONParser: Sendable {
    public var maxDepth: Int
    public init(maxDepth: Int = 512) { self.maxDepth = maxDepth }
    public func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue { throw JSONParseError(offset: 0) }
    public func parse(_ string: String) throws(JSONParseError) -> JSONValue { try parse(Array(string.utf8)) }
}
extension JSONValue {
    public init(parsing bytes: some Sequence<UInt8>) throws(JSONParseError) { self = try JSONParser().parse(bytes) }
    public init(parsing string: String) throws(JSONParseError) { self = try JSONParser().parse(string) }
}
