public import ServiceLifecycle

extension HTTPServer: Service {
    /// Starts (if not started yet) and serves until graceful shutdown or cancellation, then shuts down:
    /// in-flight requests finish within the configured bound, new ones get 503.
    public func run() async throws {
        if port == nil { try await start() }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await waitUntilStopped()
            } onGracefulShutdown: {
                Task { await self.shutdown() }
            }
        } onCancel: {
            Task { await self.shutdown() }
        }
    }
}
