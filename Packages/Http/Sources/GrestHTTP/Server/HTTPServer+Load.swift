import Synchronization
extension HTTPServer {
    /// Connections open now (0 before ``start()`` and after ``shutdown()``): one lock, for a metrics scrape.
    public var openConnections: Int {
        state.withLock { state in
            guard case .running(_, let core, _) = state.phase else { return 0 }
            return core.connections.count
        }
    }

    /// Requests whose reply is being computed now (0 when not running).
    public var requestsInFlight: Int {
        state.withLock { state in
            guard case .running(_, let core, _) = state.phase else { return 0 }
            return core.requestsInFlight
        }
    }
}
