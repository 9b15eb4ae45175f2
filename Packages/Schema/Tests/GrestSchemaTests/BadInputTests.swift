import GrestSchema
import Testing

@Suite("Hostile and extreme input")
struct BadInputTests {
    typealias P = SchemaProbe

    @Test func tenMegabyteString() throws {
        let big = String(repeating: "a", count: 10 * 1024 * 1024)
        #expect(try IsString.parse(.string(big)).utf8.count == big.utf8.count)
        #expect(P.codes(IsString.maxLength(100), .string(big)) == ["invalid.string.maxLength"])
        // The issue keeps the value locally but the wire form never carries it.
        let issues = try #require(P.issues(IsString.maxLength(100), .string(big)).first)
        #expect(issues.json.jsonString.utf8.count < 200)
        let spaces = String(repeating: " ", count: 10 * 1024 * 1024)
        #expect(P.codes(IsString.trim.nonEmpty, .string(spaces)) == ["invalid.string.nonEmpty"])
    }

    struct Chain: Sendable { var next: [Chain] }
    static let IsChain: Schema<Chain> = .recursive("Chain") { chain in
        IsObject(Chain.init, field("next", \.next, IsArray(chain))).schema
    }

    /// `{"next":[{"next":[…{"next":[]}…]}]}` with `depth` links (each link is two JSON levels).
    static func deepChain(_ depth: Int, leaf: JSONValue = ["next": []]) -> JSONValue {
        var value = leaf
        for _ in 0..<depth { value = ["next": [value]] }
        return value
    }

    static func chain(_ depth: Int) -> Chain {
        var value = Chain(next: [])
        for _ in 0..<depth { value = Chain(next: [value]) }
        return value
    }

    static func depth(of chain: Chain) -> Int {
        var depth = 0
        var current = chain
        while let next = current.next.first {
            depth += 1
            current = next
        }
        return depth
    }

    @Test func deepNestingDoesNotCrash() async {
        // Run in a child process so a stack overflow fails this test instead of killing the whole run.
        // (Before the depth guard in `Schema.recursive`, parsing overflowed the 8 MB stack at ~1 300 links.)
        await #expect(processExitsWith: .success) {
            let value = BadInputTests.deepChain(10_000)
            precondition(!BadInputTests.IsChain.is(value))
            precondition(BadInputTests.IsChain.safeParse(value, coerce: true).map { _ in 0 } != .success(0))
            precondition(BadInputTests.IsChain.stringify(BadInputTests.chain(10_000)) == nil)
        }
    }

    @Test func nestingIsFollowedUpTo512Levels() throws {
        // 256 links = 512 JSON levels: the deepest value JSONParser accepts by default.
        let chain = try Self.IsChain.parse(Self.deepChain(255))
        #expect(Self.depth(of: chain) == 255)
        #expect(Self.IsChain.stringify(chain) != nil)
        #expect(Self.IsChain.is(Self.deepChain(255)))
    }

    @Test func deeperNestingIsReportedNotFollowed() throws {
        let issues = P.issues(Self.IsChain, Self.deepChain(600))
        #expect(issues.map(\.code) == ["invalid.json"])
        #expect(issues.first?.message == "Invalid JSON: Nesting deeper than 512 levels")
        let path = try #require(issues.first?.path)
        #expect(path.split(separator: ".").count == 514)
        #expect(path.hasPrefix("next.0.next.0."))
        #expect(Self.IsChain.stringify(Self.chain(600)) == nil)
        #expect(throws: IssueList.self) { try Self.IsChain.schema.validate(Self.chain(600)) }
    }

    @Test func nanAndInfinityCannotComeOutOfCoercion() {
        #expect(P.codes(IsNumber, "NaN", coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber, "Infinity", coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber, "1e400", coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber, .number(.nan), coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber, .number(.infinity), coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsInt, .number(.nan), coerce: true) == ["invalid.number.type"])
        #expect(P.codes(IsNumber.multipleOf(0.1), "NaN", coerce: true) == ["invalid.number.type"])
        // A NaN number never becomes the string "NaN" (grest-ts: `!isNaN` guard).
        #expect(P.codes(IsString, .number(.nan), coerce: true) == ["invalid.string.type"])
        // A huge finite number rounded to a tiny multiple stays finite.
        #expect(P.codes(IsNumber.multipleOf(1e-300), "1e300", coerce: true) != [])
    }

    @Test func infinityBecomesTheJavaScriptString() throws {
        // `String(Infinity)`; such values only come from code, never from JSON text.
        #expect(try IsString.parse(.number(.infinity), coerce: true) == "Infinity")
        #expect(try IsString.parse(.number(-.infinity), coerce: true) == "-Infinity")
    }

    @Test func largeArraysAndObjects() throws {
        let numbers = JSONValue.array((0..<200_000).map { .number(Double($0)) })
        #expect(try IsArray(IsUint).parse(numbers).count == 200_000)
        var members = JSONObject(minimumCapacity: 100_000)
        for index in 0..<100_000 { members.append("k\(index)", .number(Double(index))) }
        // Unknown keys cost nothing but a lookup each; the shape is still read.
        let withExtras = JSONValue.object(members)
        #expect(try IsObject(["k99999": IsInt]).parse(withExtras) == ["k99999": 99_999])
        #expect(try IsRecord(IsString, IsInt).parse(withExtras).count == 100_000)
        // Every bad element is reported.
        let bad = JSONValue.array(Array(repeating: "x", count: 10_000))
        #expect(P.issues(IsArray(IsInt), bad).count == 10_000)
    }

    @Test func oddKeysAndStrings() throws {
        // Keys that are special in JavaScript are ordinary here.
        let schema = IsObject(["__proto__": IsString, "constructor": IsInt])
        #expect(try schema.parse(["__proto__": "p", "constructor": 1]) == ["__proto__": "p", "constructor": 1])
        #expect(try IsRecord(IsString, IsInt).parse(["__proto__": 1]) == ["__proto__": 1])
        // Duplicate keys: the last one wins, as with JSON.parse.
        let duplicated = JSONValue.object(JSONObject(members: [.init(key: "a", value: "first"), .init(key: "a", value: "last")]))
        #expect(try IsObject(["a": IsString]).parse(duplicated) == ["a": "last"])
        // NUL and control characters survive and are escaped on output.
        #expect(try IsString.parse("a\u{0}b") == "a\u{0}b")
        #expect(IsString.stringify("a\u{0}b") == #""a\u0000b""#)
        // Keys with dots make ambiguous paths but are still reported under their own name.
        #expect(P.paths(IsObject(["a.b": IsInt]), ["a.b": "x"]) == ["a.b"])
    }

    @Test func numericEdgeValues() throws {
        #expect(try IsUint.parse(-0.0) == 0)
        #expect(try IsNumber.parse(.number(Double.greatestFiniteMagnitude)) == .greatestFiniteMagnitude)
        #expect(P.codes(IsInt, .number(Double.greatestFiniteMagnitude)) == ["invalid.number.range"])
        #expect(try IsNumber.parse(.number(Double.leastNonzeroMagnitude)) == .leastNonzeroMagnitude)
        #expect(P.codes(IsInt, .number(Double.leastNonzeroMagnitude)) == ["invalid.number.integer"])
        #expect(try IsNumber.parse(.string(String(repeating: "9", count: 300)), coerce: true) > 1e299)
        #expect(P.codes(IsNumber, .string(String(repeating: "9", count: 400)), coerce: true) == ["invalid.number.type"])
        #expect(try IsNumber.parse(.string("0x" + String(repeating: "f", count: 200)), coerce: true) > 1e200)
    }
}
