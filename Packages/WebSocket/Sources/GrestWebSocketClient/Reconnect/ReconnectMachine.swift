/// A client's connect / drop / retry lifecycle as a value (grest-ts reconnect loop).
///
/// ```
/// connecting(first) ─ ok ─▶ connected ─ drop ─▶ .scheduleRetry(delay) ─▶ waiting ─ timer ─▶ .reconnect ─▶ reconnecting
///        │ fail: .stop(.firstConnectFailed), never retried            reconnecting ─ ok ─▶ connected (attempts reset)
///        manual close anywhere ─▶ .stop(.manual)                      reconnecting ─ fail ─▶ retry / .stop(unrecoverable|exhausted)
/// ```
///
/// The first connect is never retried, as in grest-ts: its error goes straight to the caller of `connect()`.
package struct ReconnectMachine<Random: RandomNumberGenerator & Sendable>: Sendable {
    package enum State: Sendable, Equatable {
        case idle
        case connecting
        case connected
        case waiting(attempt: Int)
        case reconnecting(attempt: Int)
        case stopped(StopReason)
    }

    /// Why the client stopped for good (grest-ts `onClose(reason)`).
    package enum StopReason: Sendable, Equatable {
        case manual
        /// Dropped with reconnect turned off.
        case drop
        case retriesExhausted
        /// A failed attempt was not retryable (refusal, auth, or `shouldRetry` said no).
        case unrecoverable
        /// `connect()` failed; not retried.
        case firstConnectFailed
    }

    package enum Action: Sendable, Equatable {
        case none
        /// Open the socket and run the handshake.
        case connect
        /// Report `onDisconnect` and wait `delay` before ``retryTimerFired()``.
        case scheduleRetry(delay: Duration, attempt: Int)
        /// Open a new socket now (re-run `beforeConnect`, the handshake and every setup hook).
        case reconnect(attempt: Int)
        /// Stop for good; report `onClose(reason)`.
        case stop(StopReason)
    }

    package private(set) var state: State = .idle
    package let policy: ReconnectPolicy?
    private var random: Random

    /// - Parameter policy: `nil` turns reconnecting off (a drop then stops with `.drop`).
    package init(policy: ReconnectPolicy?, random: Random) {
        self.policy = policy
        self.random = random
    }

    package mutating func connectRequested() -> Action {
        guard state == .idle else { return .none }
        state = .connecting
        return .connect
    }

    package mutating func connectSucceeded() -> Action {
        switch state {
        case .connecting, .reconnecting:
            state = .connected
        default:
            break
        }
        return .none
    }

    package mutating func connectFailed(_ error: any Error) -> Action {
        switch state {
        case .connecting:
            state = .stopped(.firstConnectFailed)
            return .stop(.firstConnectFailed)
        case .reconnecting(let attempt):
            guard let policy else { return stop(.drop) }
            guard ReconnectPolicy.isRetryable(error), policy.shouldRetry(error) else { return stop(.unrecoverable) }
            return scheduleRetry(attempt: attempt + 1, policy: policy)
        default:
            return .none
        }
    }

    /// The connection dropped without being asked to (or `forceReconnect`).
    package mutating func connectionDropped() -> Action {
        guard state == .connected else { return .none }
        guard let policy else { return stop(.drop) }
        return scheduleRetry(attempt: 0, policy: policy)
    }

    package mutating func retryTimerFired() -> Action {
        guard case .waiting(let attempt) = state else { return .none }
        state = .reconnecting(attempt: attempt)
        return .reconnect(attempt: attempt)
    }

    /// `disconnect()` or `close()`: stops reconnecting from any state.
    package mutating func closeRequested() -> Action {
        if case .stopped = state { return .none }
        return stop(.manual)
    }

    private mutating func scheduleRetry(attempt: Int, policy: ReconnectPolicy) -> Action {
        if let maxAttempts = policy.maxAttempts, attempt >= maxAttempts { return stop(.retriesExhausted) }
        state = .waiting(attempt: attempt)
        return .scheduleRetry(delay: policy.delay(forAttempt: attempt, using: &random), attempt: attempt)
    }

    private mutating func stop(_ reason: StopReason) -> Action {
        state = .stopped(reason)
        return .stop(reason)
    }
}

extension ReconnectMachine where Random == SystemRandomNumberGenerator {
    package init(policy: ReconnectPolicy?) {
        self.init(policy: policy, random: SystemRandomNumberGenerator())
    }
}
