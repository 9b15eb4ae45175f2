@testable import GrestSchema
import Testing

/// How a field's value is read when writing JSON: at a stored offset for stored properties of structs, through the key
/// path otherwise. Both must write the same JSON, and reading at an offset must copy (retain) what it reads.
@Suite("Field reads")
struct FieldReadTests {
    final class Box: Sendable {
        let label: String
        init(label: String) { self.label = label }
    }

    struct Point: Sendable { var x: Int; var y: Int }

    struct Sample: Sendable {
        var flag: Bool
        var name: String
        var tags: [String]
        var note: String?
        var origin: Point
        var box: Box
        var shout: String { name.uppercased() }
    }

    static let sample = Sample(
        flag: true, name: "grest", tags: ["a", "b"], note: nil, origin: Point(x: 3, y: -4), box: Box(label: "boxed"))

    @Test func storedPropertiesOfStructsAreReadAtTheirOffset() {
        #expect(field("flag", \Sample.flag, IsBoolean).storedOffset != nil)
        #expect(field("name", \Sample.name, IsString).storedOffset != nil)
        #expect(field("tags", \Sample.tags, IsArray(IsString)).storedOffset != nil)
        #expect(field("note", \Sample.note, IsString.orUndefined).storedOffset != nil)
        // A chain of stored struct properties is one offset too.
        #expect(field("y", \Sample.origin.y, IsInt).storedOffset == MemoryLayout<Sample>.offset(of: \Sample.origin)! + MemoryLayout<Point>.offset(of: \Point.y)!)
    }

    @Test func computedPropertiesAndClassesGoThroughTheKeyPath() {
        #expect(field("shout", \Sample.shout, IsString).storedOffset == nil)
        #expect(field("label", \Sample.box.label, IsString).storedOffset == nil)
        #expect(field("label", \Box.label, IsString).storedOffset == nil)
    }

    @Test func bothReadsWriteTheSameJSON() {
        let schema = IsObject(
            { (flag: Bool, name: String, tags: [String], note: String?, y: Int, shout: String, label: String) in
                Self.sample
            },
            field("flag", \Sample.flag, IsBoolean), field("name", \.name, IsString), field("tags", \.tags, IsArray(IsString)),
            field("note", \.note, IsString.orUndefined), field("y", \.origin.y, IsInt), field("shout", \.shout, IsString),
            field("label", \.box.label, IsString))
        // Each offset read gives what the key path gives.
        var withNote = Self.sample
        withNote.note = "set"
        for root in [Self.sample, withNote] {
            #expect(field("flag", \Sample.flag, IsBoolean).value(in: root) == root.flag)
            #expect(field("name", \Sample.name, IsString).value(in: root) == root.name)
            #expect(field("tags", \Sample.tags, IsArray(IsString)).value(in: root) == root.tags)
            #expect(field("note", \Sample.note, IsString.orUndefined).value(in: root) == root.note)
            #expect(field("y", \Sample.origin.y, IsInt).value(in: root) == root.origin.y)
        }
        let expected = #"{"flag":true,"name":"grest","tags":["a","b"],"y":-4,"shout":"GREST","label":"boxed"}"#
        #expect(schema.stringify(Self.sample) == expected)
        #expect(schema.encode(Self.sample) == ["flag": true, "name": "grest", "tags": ["a", "b"], "y": -4, "shout": "GREST", "label": "boxed"])
        #expect(schema.stringify(withNote)?.contains(#""note":"set""#) == true)
    }

    @Test func offsetReadsRetainWhatTheyCopy() {
        // Values made at run time (not literals), read many times and outliving the root: an unbalanced retain or
        // release here would crash or corrupt them.
        let schema = IsObject(
            { (name: String, tags: [String]) in Sample(flag: false, name: name, tags: tags, note: nil, origin: Point(x: 0, y: 0), box: Box(label: "")) },
            field("name", \Sample.name, IsString), field("tags", \.tags, IsArray(IsString)))
        var outputs: [String] = []
        do {
            let root = Sample(
                flag: false, name: String(repeating: "n", count: 40), tags: (0..<3).map { String(repeating: "t", count: 30 + $0) },
                note: nil, origin: Point(x: 0, y: 0), box: Box(label: String(repeating: "b", count: 40)))
            for _ in 0..<1_000 { outputs.append(schema.stringify(root) ?? "") }
        }
        let expected = #"{"name":"\#(String(repeating: "n", count: 40))","tags":["\#(String(repeating: "t", count: 30))","\#(String(repeating: "t", count: 31))","\#(String(repeating: "t", count: 32))"]}"#
        #expect(outputs.allSatisfy { $0 == expected })
    }
}
