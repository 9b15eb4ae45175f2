/// The server's structured task tree for work that outlives a request: a hosted protocol's connections (one
/// WebSocket handler per socket). One root task holds a discarding task group, and every task added through
/// ``HTTPServer/addHostedTask(_:)`` runs as its child, so shutdown can cancel them together and wait for all of them.
final class HostedTaskTree: Sendable {
    private let jobs: AsyncStream<@Sendable () async -> Void>.Continuation
    private let root: Task<Void, Never>

    /// Starts the root task. `HTTPServer.start()` returns while the server serves, so nothing structured above it can
    /// own the tree: the root is the one unstructured task, and ``HTTPServer/shutdown()`` ends and awaits it.
    init() {
        let (stream, jobs) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        self.jobs = jobs
        self.root = Task {
            await withDiscardingTaskGroup { group in
                for await job in stream { group.addTask(operation: job) }
            }
        }
    }

    /// Runs `job` as a child of the root; `false` once the tree no longer takes work.
    func add(_ job: @escaping @Sendable () async -> Void) -> Bool {
        if case .enqueued = jobs.yield(job) { return true }
        return false
    }

    /// Takes no more work; the root ends once every child has returned.
    func finish() {
        jobs.finish()
    }

    /// Cancels every child (and any job not started yet).
    func cancel() {
        root.cancel()
    }

    deinit {
        jobs.finish()  // a core that never served (built by a test) leaves no root task waiting
    }

    /// Waits until the root and every child have returned.
    func wait() async {
        await root.value
    }
}
