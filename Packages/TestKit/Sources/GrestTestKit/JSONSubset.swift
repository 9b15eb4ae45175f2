public import GrestSchema

/// JSON subset matching, as grest-ts's `toMatchObject`: every member of `expected` must be in `actual` with a
/// matching value (objects recursively, arrays element by element and of the same length, scalars equal).
public enum JSONSubset {
    /// `nil` when `actual` contains `expected`; otherwise one line per difference, `path: expected X, got Y`.
    public static func mismatch(expected: JSONValue, actual: JSONValue) -> String? {
        var lines: [String] = []
        compare(expected, actual, path: "", into: &lines)
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    private static func compare(_ expected: JSONValue, _ actual: JSONValue, path: String, into lines: inout [String]) {
        switch (expected, actual) {
        case (.object(let want), .object(let have)):
            for member in want {
                let childPath = path.isEmpty ? member.key : path + "." + member.key
                guard let value = have[member.key] else {
                    lines.append("  \(childPath): expected \(render(member.value)), but it is missing")
                    continue
                }
                compare(member.value, value, path: childPath, into: &lines)
            }
        case (.array(let want), .array(let have)):
            if want.count != have.count {
                lines.append("  \(path.isEmpty ? "(root)" : path): expected \(want.count) element(s), got \(have.count): \(render(actual))")
                return
            }
            for (index, pair) in zip(want, have).enumerated() {
                compare(pair.0, pair.1, path: path.isEmpty ? "\(index)" : "\(path).\(index)", into: &lines)
            }
        default:
            if expected != actual {
                lines.append("  \(path.isEmpty ? "(root)" : path): expected \(render(expected)), got \(render(actual))")
            }
        }
    }

    /// Compact JSON text of `value`.
    public static func render(_ value: JSONValue) -> String {
        var writer = JSONWriter(reservingCapacity: 64)
        writer.write(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
