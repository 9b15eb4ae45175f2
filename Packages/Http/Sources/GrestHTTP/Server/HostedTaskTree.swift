import Synchronization

/// The server's structured task tree for work that outlives a request: a hosted protocol's connections (one
/// WebSocket handler per socket). One root task holds a discarding task group, and every task added through
/// ``HTTPServer/addHostedTask(_:)`` runs as its child, so shutdown can cancel them together and wait for all of them.
final class HostedTaskTree: Sendable {
    private let jobs: AsyncStream<@Sendable () async -> Void>.Continuation
    private let root: Task<Void, Never>
    private let ended: Ended

    /// Starts the root task. `HTTPServer.start()` returns while the server serves, so nothing structured above it can
    /// own the tree: the root is the one unstructured task. ``HTTPServer/shutdown()`` ends it and waits for it, up to its
    /// deadline and then the cancellation grace (``wait(until:)``).
    init() {
        let (stream, jobs) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        let ended = Ended()
        self.jobs = jobs
        self.ended = ended
        self.root = Task {
            await withDiscardingTaskGroup { group in
                for await job in stream { group.addTask(operation: job) }
            }
            ended.signal()
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

    /// Waits until the root and every child have returned, or until `deadline`: whether they all returned. Unlike
    /// awaiting the root task's value, this wait ends at the deadline (or when the waiting task is cancelled) even if a
    /// child never returns.
    func wait(until deadline: ContinuousClock.Instant) async -> Bool {
        let ended = self.ended
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await ended.wait() }
            group.addTask { try? await Task.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
            return ended.isSignalled
        }
    }
}

/// The root's end, as a signal that waiters can stop waiting for when they are cancelled.
private final class Ended: Sendable {
    private struct State {
        var isSignalled = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    var isSignalled: Bool { state.withLock { $0.isSignalled } }

    func signal() {
        let waiters = state.withLock { state in
            state.isSignalled = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once signalled, or once the calling task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let isWaiting = state.withLock { state in
                    guard !state.isSignalled, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !isWaiting { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
