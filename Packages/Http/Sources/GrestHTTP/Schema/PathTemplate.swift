/// A route path such as `/api/items/:id`: literal segments and `:name` parameters.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One `/`-separated piece of the path.
    public enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    public let segments: [Segment]

    /// Parses `path`; empty segments (`//`, leading and trailing `/`) are ignored.
    public init(_ path: String) {
        segments = path.split(separator: "/", omittingEmptySubsequences: true).map { piece in
            piece.first == ":" ? .parameter(String(piece.dropFirst())) : .literal(String(piece))
        }
    }

    /// The full path of a route: `"/" + prefix + "/" + path`, as grest-ts builds it.
    public init(prefix: String, path: String) {
        self.init(prefix + "/" + path)
    }

    /// The names of the `:name` parameters, in order.
    public var parameterNames: [String] {
        segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } }
    }

    /// The canonical form, `/api/items/:id` (also the metrics `path` label: never from the client).
    public var description: String {
        if segments.isEmpty { return "/" }
        return segments.map { segment in
            switch segment {
            case .literal(let literal): "/" + literal
            case .parameter(let name): "/:" + name
            }
        }.joined()
    }

    /// The shape used to detect clashing routes: parameter names do not matter.
    var shape: String {
        segments.map { if case .literal(let literal) = $0 { literal } else { ":" } }.joined(separator: "/")
    }
}
