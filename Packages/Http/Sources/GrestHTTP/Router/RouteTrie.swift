/// A segment trie per HTTP method: literal children first, then one parameter child, with backtracking,
/// so `/items/new` beats `/items/:id` and both stay reachable. Lookup walks the path once without
/// allocating for literal segments.
struct RouteTrie<Value: Sendable>: Sendable {
    final class Node: @unchecked Sendable {
        // Mutated only while the trie is built (single owner); read-only once the server has started.
        var literals: [(segment: String, node: Node)] = []
        var parameter: (name: String, node: Node)?
        var values: [HTTPRouteMethod: Value] = [:]
    }

    private let root = Node()

    /// Why a route could not be added.
    enum InsertError: Error { case duplicate }

    /// Adds `value` for `method` at `template`; the same method on the same shape twice is a duplicate.
    func insert(_ value: Value, method: HTTPRouteMethod, template: PathTemplate) throws(InsertError) {
        var node = root
        for segment in template.segments {
            switch segment {
            case .literal(let literal):
                if let child = node.literals.first(where: { $0.segment == literal })?.node {
                    node = child
                } else {
                    let child = Node()
                    node.literals.append((literal, child))
                    node = child
                }
            case .parameter(let name):
                if let existing = node.parameter {
                    node = existing.node
                } else {
                    let child = Node()
                    node.parameter = (name, child)
                    node = child
                }
            }
        }
        guard node.values[method] == nil else { throw .duplicate }
        node.values[method] = value
    }

    /// A match: the value and the raw (still percent-encoded) parameter values in template order.
    struct Match {
        var value: Value
        var parameters: [Substring]
    }

    /// Finds the route for `method` and `path`; `pathExists` reports whether another method would match.
    func match(method: HTTPRouteMethod?, path: Substring) -> Match? {
        var segments: [Substring] = []
        segments.reserveCapacity(8)
        for piece in path.split(separator: "/", omittingEmptySubsequences: true) { segments.append(piece) }
        var parameters: [Substring] = []
        guard let method, let value = Self.walk(root, segments[...], method, &parameters) else { return nil }
        return Match(value: value, parameters: parameters)
    }

    private static func walk(_ node: Node, _ rest: ArraySlice<Substring>, _ method: HTTPRouteMethod, _ parameters: inout [Substring]) -> Value? {
        guard let segment = rest.first else { return node.values[method] }
        let tail = rest.dropFirst()
        for (literal, child) in node.literals where literal.utf8.elementsEqual(segment.utf8) {
            if let found = walk(child, tail, method, &parameters) { return found }
        }
        if let (_, child) = node.parameter {
            parameters.append(segment)
            if let found = walk(child, tail, method, &parameters) { return found }
            parameters.removeLast()
        }
        return nil
    }
}
