import GrestSchema
import Synchronization

/// A mock or spy standing in for one method of another service, for one test scope.
protocol HTTPInterceptor: Sendable {
    var methodName: String { get }
    /// The contract name, or `nil` for any API with a method of that name.
    var apiName: String? { get }
    /// Answers a call; `forward` reaches the real service.
    func handle(_ input: JSONValue?, forward: @Sendable (JSONValue?) async -> ContractReply) async -> ContractReply
}

/// The interceptors of every running test call, by scope: stand-ins look up the caller's scope here, so tests
/// running in parallel each see their own mocks of the same method.
final class InterceptorRegistry: Sendable {
    private let entries = Mutex<[TestScopeID: [UInt64: any HTTPInterceptor]]>([:])
    private let ids = Counter()

    func add(_ interceptor: any HTTPInterceptor, scope: TestScopeID) -> UInt64 {
        let id = ids.next()
        entries.withLock { $0[scope, default: [:]][id] = interceptor }
        return id
    }

    func remove(_ id: UInt64, scope: TestScopeID) {
        entries.withLock { entries in
            entries[scope]?.removeValue(forKey: id)
            if entries[scope]?.isEmpty == true { entries.removeValue(forKey: scope) }
        }
    }

    /// The newest interceptor of `api.method` in `scope`.
    func interceptor(scope: TestScopeID, api: String, method: String) -> (any HTTPInterceptor)? {
        entries.withLock { entries in
            entries[scope]?.sorted { $0.key > $1.key }.first { entry in
                entry.value.methodName == method && (entry.value.apiName == nil || entry.value.apiName == api)
            }?.value
        }
    }
}
