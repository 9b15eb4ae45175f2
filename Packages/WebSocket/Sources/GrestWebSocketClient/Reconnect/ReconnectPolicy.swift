import GrestSchema

/// How a client retries after a drop (grest-ts `GGReconnectConfig`), with jitter added (grest-ts retries on a fixed schedule, so clients dropped together reconnect together).
///
/// The un-jittered delay for attempt `n` (0-based) is `min(initialDelay · multiplier^n, maxDelay)`.
/// ``Jitter/equal`` (the default) then picks uniformly in `[d/2, d]`: restarts no longer stampede, and a
/// reconnect still waits at least half the nominal delay (grest-ts tests expect "about 500 ms").
/// ``Jitter/full`` picks in `[0, d]` (AWS "full jitter": widest spread, may retry at once).
public struct ReconnectPolicy: Sendable {
    public enum Jitter: Sendable, Equatable {
        case none
        case equal
        case full
    }

    public var initialDelay: Duration
    public var maxDelay: Duration
    public var multiplier: Double
    /// `nil` = retry forever.
    public var maxAttempts: Int?
    public var jitter: Jitter
    /// Extra veto on retrying after a failed attempt. It is asked only for errors that are retryable at all:
    /// handshake refusals (`x`, 4000, 4001) and NOT_AUTHORIZED / FORBIDDEN / VALIDATION_ERROR never retry.
    public var shouldRetry: @Sendable (any Error) -> Bool

    public init(
        initialDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30), multiplier: Double = 2, maxAttempts: Int? = nil,
        jitter: Jitter = .equal, shouldRetry: @escaping @Sendable (any Error) -> Bool = { _ in true }
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.jitter = jitter
        self.shouldRetry = shouldRetry
    }

    /// The delay before attempt `attempt` (0-based), jittered with `random`.
    public func delay(forAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let base = nominalDelay(forAttempt: attempt)
        // One draw, 53 random bits → [0, 1); no rejection loop, so any generator (even a constant one) works.
        func unit() -> Double { Double(random.next() >> 11) * 0x1p-53 }
        switch jitter {
        case .none: return base
        case .full: return base * unit()
        case .equal: return base / 2 + (base / 2) * unit()
        }
    }

    /// `min(initialDelay · multiplier^attempt, maxDelay)`, without jitter.
    public func nominalDelay(forAttempt attempt: Int) -> Duration {
        let initial = initialDelay.seconds
        let cap = maxDelay.seconds
        var seconds = initial
        for _ in 0..<max(0, attempt) {
            seconds *= multiplier
            if seconds >= cap { break }
        }
        return .nanoseconds(Int64(min(seconds, cap) * 1e9))
    }

    /// Whether `error` may be retried at all, before ``shouldRetry`` is asked.
    public static func isRetryable(_ error: any Error) -> Bool {
        if let error = error as? SocketConnectError {
            if error.isRefusal { return false }
            return isRetryable(error.serviceError)
        }
        if let error = error as? ServiceError {
            return !["NOT_AUTHORIZED", "FORBIDDEN", "VALIDATION_ERROR"].contains(error.type)
        }
        return true
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
