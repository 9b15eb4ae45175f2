public import ServiceLifecycle

extension HTTPServer: Service {
    /// Starts (if not started yet) and serves until graceful shutdown or cancellation, then shuts down:
    /// in-flight requests finish within the configured bound, new ones get 503.
    public func run() async throws {
        if port == nil { try await start() }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitUntilStopped() }
                // Graceful shutdown drains in this task group; cancellation makes gracefulShutdown() throw instead.
                group.addTask { if (try? await gracefulShutdown()) != nil { await self.shutdown() } }
                await group.next()
                group.cancelAll()
            }
        } onCancel: {
            // A cancelled task cannot wait out `shutdownTimeout` (its sleeps end at once), so the draining shutdown
            // runs in a task of its own; `waitUntilStopped` above returns when it is done.
            Task { await self.shutdown() }
        }
    }
}
