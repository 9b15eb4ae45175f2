import NIOHTTP1

/// The CORS headers of one server, precomputed at start from the policy and the middleware's declared headers.
struct CORSHeaders: Sendable {
    let policy: CORSPolicy
    let allowHeaders: String
    let exposeHeaders: String?
    private let allowList: Set<String>
    static let allowMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"

    init(policy: CORSPolicy, requestHeaders: [String], responseHeaders: [String]) {
        self.policy = policy
        var allow = ["Content-Type"]
        for name in requestHeaders where !allow.contains(where: { $0.lowercased() == name.lowercased() }) { allow.append(name) }
        self.allowHeaders = allow.joined(separator: ", ")
        var expose: [String] = []
        for name in responseHeaders + ["x-request-id"] where !expose.contains(where: { $0.lowercased() == name.lowercased() }) {
            expose.append(name)
        }
        self.exposeHeaders = expose.joined(separator: ", ")
        if case .list(let origins) = policy.origins { allowList = Set(origins.filter { $0 != "null" }) } else { allowList = [] }
    }

    /// Adds the CORS headers for a request from `origin` (nothing when there is no `Origin`).
    func apply(origin: String?, preflight: Bool, to headers: inout HTTPHeaders) {
        guard let origin else { return }
        switch policy.origins {
        case .any:
            headers.add(name: "access-control-allow-origin", value: "*")
        case .list:
            headers.add(name: "vary", value: "Origin")
            guard allowList.contains(origin) else { return }
            headers.add(name: "access-control-allow-origin", value: origin)
            if policy.allowsCredentials { headers.add(name: "access-control-allow-credentials", value: "true") }
        }
        if preflight {
            headers.add(name: "access-control-allow-methods", value: Self.allowMethods)
            headers.add(name: "access-control-allow-headers", value: allowHeaders)
            if let maxAge = policy.maxAge { headers.add(name: "access-control-max-age", value: String(maxAge)) }
        } else if let exposeHeaders {
            headers.add(name: "access-control-expose-headers", value: exposeHeaders)
        }
    }
}
