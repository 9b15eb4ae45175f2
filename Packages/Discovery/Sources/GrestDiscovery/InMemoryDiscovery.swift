import Synchronization

/// A registry in this process: registrations keyed by api and instance id, a routing strategy for ``resolve(api:)``,
/// and change notification. Tests use it directly; the local router keeps its route table in one.
public final class InMemoryDiscovery: DiscoveryClient {
    private let strategy: RoutingStrategy
    private let state = Mutex(State())

    private struct State {
        /// api → registrations in the order they arrived.
        var routes: [String: [ServiceRegistration]] = [:]
        var subscribers: [String: [Int: AsyncThrowingStream<[Endpoint], any Error>.Continuation]] = [:]
        var nextSubscriber = 0

        func endpoints(_ api: String) -> [Endpoint] { routes[api, default: []].map(\.endpoint) }
    }

    /// - Parameter strategy: How ``resolve(api:)`` picks among replicas; round-robin by default.
    public init(strategy: RoutingStrategy = .roundRobin, registrations: [ServiceRegistration] = []) {
        self.strategy = strategy
        state.withLock { state in
            for registration in registrations { state.routes[registration.api, default: []].append(registration) }
        }
    }

    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        state.withLock { $0.endpoints(api) }
    }

    public func resolve(api: String) async throws(DiscoveryError) -> Endpoint {
        guard let endpoint = strategy.select(from: state.withLock({ $0.endpoints(api) }), api: api) else { throw .notRegistered(api: api) }
        return endpoint
    }

    /// Every registration of `api`, with instance ids and prefixes (what a router needs to proxy).
    public func registrations(api: String? = nil) -> [ServiceRegistration] {
        state.withLock { state in
            if let api { return state.routes[api, default: []] }
            return state.routes.keys.sorted().flatMap { state.routes[$0]! }
        }
    }

    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Endpoint].self, throwing: (any Error).self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[api, default: [:]][id] = continuation
            continuation.yield(state.endpoints(api))
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers[api]?.removeValue(forKey: id) }
        }
        return stream
    }

    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        try add(registrations)
    }

    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        remove(registrations)
    }

    /// Removes exactly these registrations (same api and instance id); other replicas stay.
    public func remove(_ registrations: [ServiceRegistration]) {
        remove { registration in registrations.contains { $0.api == registration.api && $0.instanceID == registration.instanceID } }
    }

    /// Adds or replaces (same api, instance id and prefix) registrations; refuses the whole batch if one is malformed.
    public func add(_ registrations: [ServiceRegistration]) throws(DiscoveryError) {
        if let bad = registrations.first(where: { $0.problem != nil }) { throw .refused("\(bad.api): \(bad.problem!)") }
        let changed = state.withLock { state -> Set<String> in
            for registration in registrations {
                var list = state.routes[registration.api, default: []]
                if let index = list.firstIndex(where: { $0.instanceID == registration.instanceID && $0.pathPrefix == registration.pathPrefix }) {
                    list[index] = registration
                } else {
                    list.append(registration)
                }
                state.routes[registration.api] = list
            }
            return Set(registrations.map(\.api))
        }
        notify(changed)
    }

    /// Removes every registration of one replica (a connection that closed, a process that died).
    public func removeInstance(_ instanceID: String) {
        remove { $0.instanceID == instanceID }
    }

    private func remove(where shouldRemove: (ServiceRegistration) -> Bool) {
        let changed = state.withLock { state -> Set<String> in
            var changed: Set<String> = []
            for (api, list) in state.routes {
                let kept = list.filter { !shouldRemove($0) }
                guard kept.count != list.count else { continue }
                changed.insert(api)
                state.routes[api] = kept.isEmpty ? nil : kept
            }
            return changed
        }
        notify(changed)
    }

    private func notify(_ apis: Set<String>) {
        state.withLock { state in
            for api in apis {
                let snapshot = state.endpoints(api)
                for continuation in state.subscribers[api, default: [:]].values { continuation.yield(snapshot) }
            }
        }
    }
}
