import Foundation
import GrestSchema
import Testing

/// JSONTestSuite (318 parsing cases), vendored under `Resources/JSONTestSuite` (MIT, see its README) and read
/// through `Bundle.module`. `y_` must parse, `n_` must fail, `i_` may do either but never crash.
///
/// Our choices for the `i_` cases (implementation-defined):
/// | case family | choice | why |
/// |---|---|---|
/// | huge exponents / too big ints (`i_number_*`) | accept: ±infinity or a rounded double, 0 on underflow | what `JSON.parse` does; numeric schemas reject non-finite values |
/// | lone or inverted surrogate escapes (`i_string_*surrogate*`, `i_object_key_lone_2nd_surrogate`) | reject | a Swift `String` cannot hold them |
/// | invalid UTF-8 bytes, overlong forms, truncated sequences, ISO-8859-1, UTF-16 without BOM | reject | text must be valid UTF-8 (RFC 8259 §8.1) |
/// | UTF-16LE/UTF-8 BOM (`i_string_UTF-16LE_with_BOM`, `i_structure_UTF-8_BOM_empty_object`) | reject | RFC 8259 §8.1: no BOM in networked JSON |
/// | 500 nested arrays (`i_structure_500_nested_arrays`) | accept | within the default depth limit of 512 |
@Suite struct JSONTestSuiteTests {
    static let directory: URL? = Bundle.module.url(forResource: "JSONTestSuite", withExtension: nil)?
        .appendingPathComponent("test_parsing")

    static let cases: [String] = {
        guard let directory else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }()

    static let expectedRejections: Set<String> = [
        "i_object_key_lone_2nd_surrogate.json", "i_string_1st_surrogate_but_2nd_missing.json", "i_string_1st_valid_surrogate_2nd_invalid.json",
        "i_string_UTF-16LE_with_BOM.json", "i_string_UTF-8_invalid_sequence.json", "i_string_UTF8_surrogate_U+D800.json",
        "i_string_incomplete_surrogate_and_escape_valid.json", "i_string_incomplete_surrogate_pair.json",
        "i_string_incomplete_surrogates_escape_valid.json", "i_string_invalid_lonely_surrogate.json", "i_string_invalid_surrogate.json",
        "i_string_invalid_utf-8.json", "i_string_inverted_surrogates_U+1D11E.json", "i_string_iso_latin_1.json",
        "i_string_lone_second_surrogate.json", "i_string_lone_utf8_continuation_byte.json", "i_string_not_in_unicode_range.json",
        "i_string_overlong_sequence_2_bytes.json", "i_string_overlong_sequence_6_bytes.json", "i_string_overlong_sequence_6_bytes_null.json",
        "i_string_truncated-utf-8.json", "i_string_utf16BE_no_BOM.json", "i_string_utf16LE_no_BOM.json",
        "i_structure_UTF-8_BOM_empty_object.json",
    ]

    @Test func suiteIsPresent() {
        #expect(Self.directory != nil, "JSONTestSuite resources missing from the test bundle (Resources/JSONTestSuite/test_parsing)")
        #expect(Self.cases.count == 318)
    }

    @Test(arguments: cases)
    func parsingCase(_ name: String) throws {
        let data = try Data(contentsOf: Self.directory!.appendingPathComponent(name))
        let result = Result { try JSONValue(parsing: [UInt8](data)) }
        switch name.prefix(2) {
        case "y_": #expect(throws: Never.self, "\(name) must parse") { try result.get() }
        case "n_": #expect(throws: JSONParseError.self, "\(name) must be rejected") { try result.get() }
        default:
            let rejected = (try? result.get()) == nil
            #expect(rejected == Self.expectedRejections.contains(name), "\(name): documented choice is \(Self.expectedRejections.contains(name) ? "reject" : "accept")")
        }
    }
}
