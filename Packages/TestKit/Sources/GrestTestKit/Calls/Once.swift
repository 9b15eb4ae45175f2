import Synchronization

/// Runs an async body at most once; later callers wait for and share its result. What makes a ``TestCall``
/// awaited twice send one request (grest-ts's `then` ran the call again on every await).
final class Once<Value: Sendable>: Sendable {
    private enum State {
        case idle
        case running([CheckedContinuation<Result<Value, any Error>, Never>])
        case done(Result<Value, any Error>)
    }

    private let state = Mutex(State.idle)

    func run(_ body: () async -> Result<Value, any Error>) async -> Result<Value, any Error> {
        let step: OnceStep<Value> = state.withLock { state in
            switch state {
            case .idle:
                state = .running([])
                return .run
            case .running: return .wait
            case .done(let result): return .done(result)
            }
        }
        switch step {
        case .done(let result):
            return result
        case .wait:
            return await withCheckedContinuation { continuation in
                let finished: Result<Value, any Error>? = state.withLock { state in
                    switch state {
                    case .running(var waiters):
                        waiters.append(continuation)
                        state = .running(waiters)
                        return nil
                    case .done(let result): return result
                    case .idle: return .failure(CancellationError())
                    }
                }
                if let finished { continuation.resume(returning: finished) }
            }
        case .run:
            let result = await body()
            let waiters = state.withLock { state in
                defer { state = .done(result) }
                if case .running(let waiters) = state { return waiters }
                return []
            }
            for waiter in waiters { waiter.resume(returning: result) }
            return result
        }
    }
}

private enum OnceStep<Value: Sendable> {
    case run
    case wait
    case done(Result<Value, any Error>)
}
