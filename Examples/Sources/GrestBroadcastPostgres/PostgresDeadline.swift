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
    let work = Task {
        do {
            race.finish(.success(try await operation()))
        } catch {
            race.finish(.failure(error))
        }
    }
    let timer = Task {
        guard (try? await Task.sleep(for: timeout)) != nil else { return }
        race.finish(.failure(PostgresDeadlineExceeded(timeout: timeout)))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in race.wait(continuation) }
    } onCancel: {
        race.finish(.failure(CancellationError()))
        work.cancel()
    }
}

/// The first outcome of a ``withPostgresDeadline(_:_:)`` race, handed to the one waiter whichever comes first.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private enum State {
        case running
        case waiting(CheckedContinuation<Value, any Error>)
        case finished(Result<Value, any Error>)
        case delivered
    }

    private let state = Mutex(State.running)

    func wait(_ continuation: CheckedContinuation<Value, any Error>) {
        let outcome: Result<Value, any Error>? = state.withLock { state in
            switch state {
            case .running:
                state = .waiting(continuation)
                return nil
            case .finished(let outcome):
                state = .delivered
                return outcome
            case .waiting, .delivered:
                preconditionFailure("one waiter per race")
            }
        }
        if let outcome { continuation.resume(with: outcome) }
    }

    func finish(_ outcome: Result<Value, any Error>) {
        let waiter: CheckedContinuation<Value, any Error>? = state.withLock { state in
            switch state {
            case .running:
                state = .finished(outcome)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .finished, .delivered:
                return nil  // a later outcome loses
            }
        }
        waiter?.resume(with: outcome)
    }
}
