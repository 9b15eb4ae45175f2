/// Splitting a request target into its path and query.
package enum RequestTarget {
    /// `/a/b?x=1` → (`/a/b`, `x=1`); a fragment is dropped.
    package static func split(_ uri: String) -> (path: Substring, query: Substring) {
        var path = Substring(uri)
        if let hash = path.firstIndex(of: "#") { path = path[..<hash] }
        guard let question = path.firstIndex(of: "?") else { return (path, "") }
        return (path[..<question], path[path.index(after: question)...])
    }
}
