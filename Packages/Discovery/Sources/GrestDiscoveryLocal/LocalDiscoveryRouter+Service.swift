public import ServiceLifecycle

extension LocalDiscoveryRouter: Service {
    /// Starts (if not started yet), runs the health checks when ``healthCheckPath`` is set, and serves until
    /// graceful shutdown or cancellation, then stops listening.
    public func run() async throws {
        if port == nil { try await start() }
        await cancelWhenGracefulShutdown { [self] in
            if let path = healthCheckPath {
                await runHealthChecks(path: path, every: healthCheckInterval)
            } else {
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
        }
        await shutdown()
    }
}
