public import GrestSchema

/// One contract method bound to an HTTP method and path (grest-ts route codec).
public struct HTTPRoute: Sendable {
    /// The contract method's name.
    public let methodName: String
    /// The method as the contract describes it.
    public let descriptor: ContractMethodDescriptor
    public let httpMethod: HTTPRouteMethod
    /// The full path, prefix included.
    public let path: PathTemplate
    /// A body limit for this route, overriding the contract's `maxBodyBytes` and the server default.
    public let maxBodyBytes: Int?
}

/// The route table of an ``HTTPSchema``, filled by its `routes { }` builder.
///
/// ```swift
/// .routes { r in
///     r.get(ItemsApi.get, "/:id")
///     r.post(ItemsApi.create, "/")
/// }
/// ```
public struct HTTPRoutes: Sendable {
    let prefix: String
    public internal(set) var routes: [HTTPRoute] = []

    init(prefix: String) { self.prefix = prefix }

    /// Binds `method` to `GET prefix/path`; input = path params + query (coerced).
    public mutating func get<Input, Success>(_ method: ContractMethod<Input, Success>, _ path: String) {
        add(.get, method, path, maxBodyBytes: nil)
    }

    /// Binds `method` to `DELETE prefix/path`; input = path params + query (coerced).
    public mutating func delete<Input, Success>(_ method: ContractMethod<Input, Success>, _ path: String) {
        add(.delete, method, path, maxBodyBytes: nil)
    }

    /// Binds `method` to `POST prefix/path`; input = JSON body merged with the path params.
    /// - Parameter maxBodyBytes: A body limit for this route only.
    public mutating func post<Input, Success>(_ method: ContractMethod<Input, Success>, _ path: String, maxBodyBytes: Int? = nil) {
        add(.post, method, path, maxBodyBytes: maxBodyBytes)
    }

    /// Binds `method` to `PUT prefix/path`; input = JSON body merged with the path params.
    public mutating func put<Input, Success>(_ method: ContractMethod<Input, Success>, _ path: String, maxBodyBytes: Int? = nil) {
        add(.put, method, path, maxBodyBytes: maxBodyBytes)
    }

    /// Binds `method` to `PATCH prefix/path`; input = JSON body merged with the path params.
    public mutating func patch<Input, Success>(_ method: ContractMethod<Input, Success>, _ path: String, maxBodyBytes: Int? = nil) {
        add(.patch, method, path, maxBodyBytes: maxBodyBytes)
    }

    mutating func add<Input, Success>(_ httpMethod: HTTPRouteMethod, _ method: ContractMethod<Input, Success>, _ path: String, maxBodyBytes: Int?) {
        routes.append(
            HTTPRoute(
                methodName: method.name, descriptor: method.descriptor, httpMethod: httpMethod, path: PathTemplate(prefix: prefix, path: path),
                maxBodyBytes: maxBodyBytes))
    }
}
