/// The HTTP methods a contract route can bind to (grest-ts `GGRpc.GET/POST/PUT/DELETE`, plus `PATCH`).
///
/// GET and DELETE carry their input in the path and the query; the others in a JSON body.
public enum HTTPRouteMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case patch = "PATCH"
    case delete = "DELETE"

    /// Whether the input travels in a JSON body rather than the query string.
    public var hasBody: Bool {
        switch self {
        case .get, .delete: false
        case .post, .put, .patch: true
        }
    }

    /// The method of a request line, or `nil` for a method no route can have.
    init?(requestMethod: String) {
        switch requestMethod {
        case "GET": self = .get
        case "POST": self = .post
        case "PUT": self = .put
        case "PATCH": self = .patch
        case "DELETE": self = .delete
        default: return nil
        }
    }
}
