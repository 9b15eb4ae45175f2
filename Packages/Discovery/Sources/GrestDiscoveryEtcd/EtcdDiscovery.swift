public import Foundation
public import GrestDiscovery
public import ServiceLifecycle
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Discovery across machines on etcd v3, through its JSON gateway (`/v3/kv/put`, `/v3/kv/range`,
/// `/v3/lease/grant`, `/v3/lease/keepalive`, `/v3/watch`).
///
/// Each replica puts one key per registration, `<keyPrefix><api>/<instanceID>`, attached to its own lease; ``run()``
/// keeps the lease alive. A replica that stops refreshing (killed, partitioned) disappears when its lease expires:
/// within `ttl` plus etcd's expiry check (500 ms). ``subscribe(api:)`` follows etcd's watch.
///
/// ```swift
/// let discovery = EtcdDiscovery(endpoint: URL(string: "http://127.0.0.1:2379")!, ttl: .seconds(5))
/// try await discovery.checkReachable()                // fails fast with a clear message at start-up
/// try await discovery.register(registrations)
/// // keep-alive: `discovery` is a swift-service-lifecycle Service; run it next to the servers
/// try await ServiceGroup(services: [discovery, registration], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
///
/// Staleness when etcd is lost while running: ``instances(api:)`` serves the last snapshot it read (possibly naming
/// replicas that died since), subscriptions keep their last value, and ``run()`` retries; when etcd answers again
/// and this replica's lease is gone, it grants a new lease and puts every registration again.
public final class EtcdDiscovery: DiscoveryClient, Service {
    public let endpoint: URL
    public let keyPrefix: String
    public let ttl: Duration
    private let strategy: RoutingStrategy
    private let session: URLSession
    private let state = Mutex(State())

    private struct State {
        var lease: Int64?
        var registrations: [String: ServiceRegistration] = [:]  // key → registration
        var snapshots: [String: [Endpoint]] = [:]
    }

    /// - Parameters:
    ///   - endpoint: An etcd client URL (`http://127.0.0.1:2379`).
    ///   - ttl: The lease time to live; etcd's minimum is 2 s with its default election timeout.
    public init(endpoint: URL, keyPrefix: String = "/grest/discovery/", ttl: Duration = .seconds(5), strategy: RoutingStrategy = .roundRobin) {
        self.endpoint = endpoint
        self.keyPrefix = keyPrefix.hasSuffix("/") ? keyPrefix : keyPrefix + "/"
        self.ttl = ttl
        self.strategy = strategy
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 3
        self.session = URLSession(configuration: configuration)
    }

    // MARK: Resolution

    public func instances(api: String) async throws(DiscoveryError) -> [Endpoint] {
        do {
            let (endpoints, _) = try await range(api: api)
            state.withLock { $0.snapshots[api] = endpoints }
            return endpoints
        } catch {
            // Documented staleness: the last snapshot while etcd cannot be reached.
            if let last = state.withLock({ $0.snapshots[api] }) { return last }
            throw error
        }
    }

    public func resolve(api: String) async throws(DiscoveryError) -> Endpoint {
        guard let endpoint = strategy.select(from: try await instances(api: api), api: api) else { throw .notRegistered(api: api) }
        return endpoint
    }

    /// The instances now, then after every change etcd's watch reports. While etcd is unreachable the stream stays
    /// quiet (its last value stands) and the watch is re-established with a back-off.
    public func subscribe(api: String) -> AsyncThrowingStream<[Endpoint], any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: [Endpoint].self, throwing: (any Error).self, bufferingPolicy: .bufferingNewest(1))
        // The producer lives exactly as long as the consumer: onTermination cancels it.
        let task = Task { [self] in
            var last: [Endpoint]?
            while !Task.isCancelled {
                do {
                    let (endpoints, revision) = try await range(api: api)
                    if endpoints != last {
                        last = endpoints
                        continuation.yield(endpoints)
                    }
                    try await watch(prefix: key(api: api, instanceID: ""), fromRevision: revision + 1) {
                        // Any event: read the whole set again (simple, and correct for deletes by lease expiry).
                        let (endpoints, _) = try await self.range(api: api)
                        if endpoints != last {
                            last = endpoints
                            continuation.yield(endpoints)
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                }
                try? await Task.sleep(for: .milliseconds(250))  // back-off before re-establishing the watch
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: Registration

    /// Fails with ``DiscoveryError/unavailable(_:)`` naming the endpoint when etcd does not answer.
    public func checkReachable() async throws(DiscoveryError) {
        _ = try await post("/v3/maintenance/status", [:])
    }

    /// Puts the registrations under this replica's lease (granted on first use).
    public func register(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        if let bad = registrations.first(where: { $0.problem != nil }) { throw .refused("\(bad.api): \(bad.problem!)") }
        let lease = try await currentLease()
        for registration in registrations {
            let key = key(api: registration.api, instanceID: registration.instanceID)
            try await put(key: key, registration: registration, lease: lease)
            state.withLock { $0.registrations[key] = registration }
        }
    }

    /// Deletes exactly these registrations' keys; the lease is revoked when none is left.
    public func unregister(_ registrations: [ServiceRegistration]) async throws(DiscoveryError) {
        for registration in registrations {
            let key = key(api: registration.api, instanceID: registration.instanceID)
            state.withLock { _ = $0.registrations.removeValue(forKey: key) }
            _ = try await post("/v3/kv/deleterange", ["key": Self.base64(key)])
        }
        let revoke: Int64? = state.withLock { state in
            guard state.registrations.isEmpty, let lease = state.lease else { return nil }
            state.lease = nil
            return lease
        }
        if let revoke { _ = try await post("/v3/lease/revoke", ["ID": String(revoke)]) }
    }

    /// Keeps the lease alive every `ttl / 3` until cancelled or graceful shutdown (a swift-service-lifecycle
    /// `Service`: put it in the same `ServiceGroup` as the servers it registers); re-grants and re-puts everything when
    /// etcd lost the lease (restarted without its data, or the lease expired during an outage). Errors while etcd is
    /// unreachable are retried, not thrown. Stopping does not revoke: ``unregister(_:)`` is the graceful exit.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.keepAlive() }
    }

    private func keepAlive() async {
        let interval = ttl / 3
        while true {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            guard let lease = state.withLock({ $0.lease }) else { continue }
            do {
                let reply = try await post("/v3/lease/keepalive", ["ID": String(lease)])
                let result = reply["result"] as? [String: Any]
                let remaining = Int64(result?["TTL"] as? String ?? "") ?? 0
                if remaining <= 0 { try await reestablish(lostLease: lease) }
            } catch {
                continue  // unreachable: try again next interval; resolution serves the last snapshot meanwhile
            }
        }
    }

    private func reestablish(lostLease: Int64) async throws(DiscoveryError) {
        let registrations = state.withLock { state -> [String: ServiceRegistration] in
            if state.lease == lostLease { state.lease = nil }
            return state.registrations
        }
        let lease = try await currentLease()
        for (key, registration) in registrations { try await put(key: key, registration: registration, lease: lease) }
    }

    private func currentLease() async throws(DiscoveryError) -> Int64 {
        if let lease = state.withLock({ $0.lease }) { return lease }
        let seconds = max(1, Int(ttl.components.seconds))
        let reply = try await post("/v3/lease/grant", ["TTL": String(seconds)])
        guard let text = reply["ID"] as? String, let lease = Int64(text) else { throw .unavailable("etcd granted no lease: \(reply)") }
        return state.withLock { state in
            if let existing = state.lease { return existing }  // a concurrent caller won
            state.lease = lease
            return lease
        }
    }

    // MARK: etcd JSON gateway

    package func key(api: String, instanceID: String) -> String { "\(keyPrefix)\(api)/\(instanceID)" }

    private func put(key: String, registration: ServiceRegistration, lease: Int64) async throws(DiscoveryError) {
        let value: [String: Any] = [
            "api": registration.api, "scheme": registration.scheme.rawValue, "host": registration.host, "port": registration.port,
            "pathPrefix": registration.pathPrefix, "instanceID": registration.instanceID, "runtime": registration.runtime,
        ]
        let json = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
        _ = try await post("/v3/kv/put", ["key": Self.base64(key), "value": json.base64EncodedString(), "lease": String(lease)])
    }

    /// The registrations under `api` and the store revision they were read at.
    private func range(api: String) async throws(DiscoveryError) -> ([Endpoint], Int64) {
        let prefix = key(api: api, instanceID: "")
        let reply = try await post("/v3/kv/range", ["key": Self.base64(prefix), "range_end": Self.base64(Self.prefixEnd(prefix))])
        let header = reply["header"] as? [String: Any]
        let revision = Int64(header?["revision"] as? String ?? "") ?? 0
        var endpoints: [Endpoint] = []
        for item in reply["kvs"] as? [[String: Any]] ?? [] {
            guard let encoded = item["value"] as? String, let data = Data(base64Encoded: encoded),
                let value = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let scheme = value["scheme"] as? String, let host = value["host"] as? String, let port = value["port"] as? Int
            else { continue }  // someone else's malformed value never breaks resolution
            endpoints.append(Endpoint(scheme: scheme, host: host, port: port))
        }
        return (endpoints, revision)
    }

    /// Streams `/v3/watch` and calls `onEvent` for each batch of events, until the stream ends or fails.
    private func watch(prefix: String, fromRevision: Int64, onEvent: () async throws -> Void) async throws {
        let body: [String: Any] = [
            "create_request": ["key": Self.base64(prefix), "range_end": Self.base64(Self.prefixEnd(prefix)), "start_revision": String(fromRevision)]
        ]
        var request = URLRequest(url: endpoint.appendingPathComponent("v3/watch"))
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        request.timeoutInterval = 3600
        let lines = WatchLines()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 3600
        let session = URLSession(configuration: configuration, delegate: lines, delegateQueue: nil)
        let task = session.dataTask(with: request)
        try await withTaskCancellationHandler {
            task.resume()
            for try await line in lines.stream {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
                let result = object["result"] as? [String: Any]
                if let events = result?["events"] as? [Any], !events.isEmpty { try await onEvent() }
                if object["error"] != nil { break }
            }
        } onCancel: {
            task.cancel()
        }
        session.invalidateAndCancel()
    }

    private func post(_ path: String, _ body: [String: Any]) async throws(DiscoveryError) -> [String: Any] {
        var request = URLRequest(url: endpoint.appendingPathComponent(String(path.dropFirst())))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        do {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, response) = try await session.data(for: request)
            let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
                throw DiscoveryError.unavailable("etcd at \(endpoint.absoluteString) answered \(status) to \(path): \(object["message"] ?? "")")
            }
            return object
        } catch let error as DiscoveryError {
            throw error
        } catch {
            throw .unavailable("etcd at \(endpoint.absoluteString) is unreachable (\(path)): \(error.localizedDescription)")
        }
    }

    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// etcd's range end for "every key with this prefix": the prefix with its last byte incremented.
    private static func prefixEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        bytes[bytes.count - 1] += 1  // keyPrefix ends in "/" (0x2F), so no overflow
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Splits the watch response body into JSON lines (the gateway streams one JSON object per line).
private final class WatchLines: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: URLSession calls the delegate on its own serial queue; `buffer` is touched only there.
    let stream: AsyncThrowingStream<String, any Error>
    private let continuation: AsyncThrowingStream<String, any Error>.Continuation
    private var buffer: [UInt8] = []

    override init() {
        (stream, continuation) = AsyncThrowingStream.makeStream(of: String.self)
        super.init()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        buffer.append(contentsOf: data)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: buffer[..<newline], as: UTF8.self)
            buffer.removeSubrange(...newline)
            if !line.isEmpty { continuation.yield(line) }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if !buffer.isEmpty { continuation.yield(String(decoding: buffer, as: UTF8.self)) }
        buffer.removeAll()
        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
    }
}
