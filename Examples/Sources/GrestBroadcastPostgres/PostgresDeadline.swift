import Synchronization

/// A PostgreSQL call that did not finish within its deadline (``withPostgresDeadline(_:_:)``).
public struct PostgresDeadlineExceeded: Error, CustomStringConvertible {
    public let timeout: Duration
    public var description: String { "PostgreSQL did not answer within \(timeout)" }
}

/// Runs `operation`, a call to PostgreSQL, and returns its result, or throws ``PostgresDeadlineExceeded`` once `timeout`
/// has passed, or `CancellationError` when the calling task is cancelled, whichever comes first.
///
/// Why the call runs in a task of its own rather than as a child: postgres-nio (1.33.2) can lose a query. One written
/// to a pooled connection whose socket has just closed (PostgreSQL restarting) is dropped together with its promise,
/// which is never completed, and the wait for it neither ends nor observes cancellation. A request handler waiting on
/// it would never return, and a server's graceful shutdown waits for its handlers. A child task would have to be
/// awaited the same way; a task of its own can be left behind. Past the deadline the caller moves on and the lost
/// call's task is abandoned (cancelled, in case it does observe cancellation).
public func withPostgresDeadline<Result: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = DeadlineRace<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in race.start(continuation, timeout: timeout, operation) }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// One ``withPostgresDeadline(_:_:)`` race: the call and its timer, and the waiter that the first outcome resumes.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Value, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Installs the waiter, then starts the call and the timer. A cancellation that came before the waiter was there
    /// (`onCancel` found nobody to resume) is seen here.
    func start(_ waiter: CheckedContinuation<Value, any Error>, timeout: Duration, _ operation: @escaping @Sendable () async throws -> Value) {
        state.withLock { $0.waiter = waiter }
        let work = Task {
            do {
                self.finish(.success(try await operation()))
            } catch {
                self.finish(.failure(error))
            }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self.finish(.failure(PostgresDeadlineExceeded(timeout: timeout)))
        }
        let isOver = state.withLock { state in
            guard state.waiter != nil else { return true }
            state.tasks = [work, timer]
            return false
        }
        if isOver {
            work.cancel()
            timer.cancel()
        } else if Task.isCancelled {
            finish(.failure(CancellationError()))
        }
    }

    /// Resumes the waiter with `outcome` and cancels the call and the timer (the call in case it observes
    /// cancellation; one that does not is left behind); later outcomes find no waiter.
    func finish(_ outcome: Result<Value, any Error>) {
        let (waiter, tasks) = state.withLock { state in
            defer { state = State() }
            return (state.waiter, state.tasks)
        }
        for task in tasks { task.cancel() }
        waiter?.resume(with: outcome)
    }
}
