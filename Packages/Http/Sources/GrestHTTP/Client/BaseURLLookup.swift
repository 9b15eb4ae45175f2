import GrestSchema
import NIOCore
import Synchronization

/// The per-call base URL of a discovery-backed ``HTTPClient``: asks the lookup, parses the answer and keeps one
/// connection pool per host and port, so calls that move between replicas each reuse their own connections.
final class BaseURLLookup: Sendable {
    private let resolve: @Sendable () async throws -> String
    private let group: any EventLoopGroup
    private let maxIdle: Int
    private let pools = Mutex<[String: ClientConnectionPool]>([:])

    init(resolve: @escaping @Sendable () async throws -> String, group: any EventLoopGroup, maxIdle: Int) {
        self.resolve = resolve
        self.group = group
        self.maxIdle = maxIdle
    }

    func target() async -> Result<(BaseURL, ClientConnectionPool), ServiceError> {
        let text: String
        do {
            text = try await resolve()
        } catch {
            return .failure(SERVER_ERROR(displayMessage: "Service discovery failed", debugMessage: "\(error)", originalError: error))
        }
        guard let base = BaseURL(text) else {
            return .failure(
                SERVER_ERROR(displayMessage: "Service discovery failed", debugMessage: ClientTransportError.invalidBaseURL(text).description))
        }
        let pool = pools.withLock { pools in
            let key = "\(base.host):\(base.port)"
            if let pool = pools[key] { return pool }
            let pool = ClientConnectionPool(group: group, host: base.host, port: base.port, maxIdle: maxIdle)
            pools[key] = pool
            return pool
        }
        return .success((base, pool))
    }

    func closeAll() async {
        for pool in pools.withLock({ Array($0.values) }) { await pool.closeAll() }
    }
}
