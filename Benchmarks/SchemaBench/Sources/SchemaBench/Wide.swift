// Generated: a 50-field nested object (10 root fields + 4 sections × 10).
import GrestSchema

struct Section: Codable, Sendable {
    var g0: String
    var g1: Int
    var g2: Double
    var g3: Bool
    var g4: String
    var g5: String
    var g6: Int
    var g7: Double
    var g8: Bool
    var g9: String
}

struct Wide: Codable, Sendable {
    var f0: String
    var f1: Int
    var f2: Double
    var f3: Bool
    var f4: String
    var f5: String
    var f6: Int
    var f7: Double
    var f8: Bool
    var f9: String
    var section_a: Section
    var section_b: Section
    var section_c: Section
    var section_d: Section
}

let IsSection = IsObject(
    Section.init,
    field("g0", \.g0, IsString),
    field("g1", \.g1, IsInt),
    field("g2", \.g2, IsNumber),
    field("g3", \.g3, IsBoolean),
    field("g4", \.g4, IsString.nonEmpty),
    field("g5", \.g5, IsString),
    field("g6", \.g6, IsInt),
    field("g7", \.g7, IsNumber),
    field("g8", \.g8, IsBoolean),
    field("g9", \.g9, IsString.nonEmpty)
)

let IsWide = IsObject(
    Wide.init,
    field("f0", \.f0, IsString),
    field("f1", \.f1, IsInt),
    field("f2", \.f2, IsNumber),
    field("f3", \.f3, IsBoolean),
    field("f4", \.f4, IsString.nonEmpty),
    field("f5", \.f5, IsString),
    field("f6", \.f6, IsInt),
    field("f7", \.f7, IsNumber),
    field("f8", \.f8, IsBoolean),
    field("f9", \.f9, IsString.nonEmpty),
    field("section_a", \.section_a, IsSection),
    field("section_b", \.section_b, IsSection),
    field("section_c", \.section_c, IsSection),
    field("section_d", \.section_d, IsSection)
)

let wideJSON = #"{"f0":"value 0","f1":1,"f2":2.5,"f3":true,"f4":"text 4","f5":"value 5","f6":6,"f7":7.5,"f8":true,"f9":"text 9","section_a":{"g0":"value 0","g1":1,"g2":2.5,"g3":true,"g4":"text 4","g5":"value 5","g6":6,"g7":7.5,"g8":true,"g9":"text 9"},"section_b":{"g0":"value 0","g1":1,"g2":2.5,"g3":true,"g4":"text 4","g5":"value 5","g6":6,"g7":7.5,"g8":true,"g9":"text 9"},"section_c":{"g0":"value 0","g1":1,"g2":2.5,"g3":true,"g4":"text 4","g5":"value 5","g6":6,"g7":7.5,"g8":true,"g9":"text 9"},"section_d":{"g0":"value 0","g1":1,"g2":2.5,"g3":true,"g4":"text 4","g5":"value 5","g6":6,"g7":7.5,"g8":true,"g9":"text 9"}}"#
