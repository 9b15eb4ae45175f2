import GrestSchema
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

/// A deterministic generator for jitter tests.
struct FixedRandom: RandomNumberGenerator, Sendable {
    var value: UInt64
    mutating func next() -> UInt64 { value }
}

/// SplitMix64, for spreading tests.
struct SplitMix: RandomNumberGenerator, Sendable {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Reconnect", .timeLimit(.minutes(2)))
struct ReconnectTests {
    @Test func nominalDelaysGrowAndCap() {
        let policy = ReconnectPolicy(jitter: .none)
        let delays = (0..<10).map { policy.nominalDelay(forAttempt: $0) }
        #expect(delays[0] == .milliseconds(500))
        #expect(delays[1] == .seconds(1))
        #expect(delays[2] == .seconds(2))
        #expect(delays[6] == .seconds(30))
        #expect(delays[9] == .seconds(30))
        #expect(policy.nominalDelay(forAttempt: 10_000) == .seconds(30))
    }

    @Test func jitterStaysInItsBand() {
        var random = SplitMix(state: 42)
        let equal = ReconnectPolicy(jitter: .equal)
        let full = ReconnectPolicy(jitter: .full)
        var seen = Set<Duration>()
        for attempt in 0..<8 {
            let nominal = equal.nominalDelay(forAttempt: attempt)
            for _ in 0..<50 {
                let e = equal.delay(forAttempt: attempt, using: &random)
                #expect(e >= nominal / 2 && e <= nominal)
                let f = full.delay(forAttempt: attempt, using: &random)
                #expect(f >= .zero && f <= nominal)
                seen.insert(e)
            }
        }
        // Jitter actually spreads clients out.
        #expect(seen.count > 100)
        var low = FixedRandom(value: 0)
        #expect(equal.delay(forAttempt: 0, using: &low) == .milliseconds(250))
        #expect(full.delay(forAttempt: 0, using: &low) == .zero)
        var high = FixedRandom(value: .max)
        #expect(equal.delay(forAttempt: 0, using: &high) > .milliseconds(499))
        #expect(equal.delay(forAttempt: 0, using: &high) <= .milliseconds(500))
    }

    @Test func firstConnectIsNeverRetried() {
        var machine = ReconnectMachine(policy: ReconnectPolicy(), random: SplitMix(state: 1))
        #expect(machine.connectRequested() == .connect)
        #expect(machine.connectFailed(SocketConnectError.transport("refused")) == .stop(.firstConnectFailed))
    }

    @Test func dropRetriesWithBackoffAndResetsAfterSuccess() {
        var machine = ReconnectMachine(policy: ReconnectPolicy(jitter: .none), random: SplitMix(state: 1))
        _ = machine.connectRequested()
        _ = machine.connectSucceeded()
        #expect(machine.connectionDropped() == .scheduleRetry(delay: .milliseconds(500), attempt: 0))
        #expect(machine.retryTimerFired() == .reconnect(attempt: 0))
        #expect(machine.connectFailed(SocketConnectError.transport("down")) == .scheduleRetry(delay: .seconds(1), attempt: 1))
        #expect(machine.retryTimerFired() == .reconnect(attempt: 1))
        #expect(machine.connectFailed(SocketConnectError.handshakeTimeout) == .scheduleRetry(delay: .seconds(2), attempt: 2))
        _ = machine.retryTimerFired()
        #expect(machine.connectSucceeded() == .none)
        #expect(machine.state == .connected)
        // Counter reset: the next drop starts from the initial delay again.
        #expect(machine.connectionDropped() == .scheduleRetry(delay: .milliseconds(500), attempt: 0))
    }

    @Test("refusals and auth errors are never retried", arguments: [
        SocketConnectError.handshakeRejected(SERVER_ERROR()), .invalidQuery,
        .closedDuringHandshake(code: 4001, reason: "Handshake failed"), .handshakeRejected(NOT_AUTHORIZED()),
    ])
    func neverRetried(error: SocketConnectError) {
        var machine = ReconnectMachine(policy: ReconnectPolicy(), random: SplitMix(state: 1))
        _ = machine.connectRequested()
        _ = machine.connectSucceeded()
        _ = machine.connectionDropped()
        _ = machine.retryTimerFired()
        #expect(machine.connectFailed(error) == .stop(.unrecoverable))
    }

    @Test func serviceErrorClassification() {
        for type in ["NOT_AUTHORIZED", "FORBIDDEN", "VALIDATION_ERROR"] {
            #expect(!ReconnectPolicy.isRetryable(ServiceError(type: type, statusCode: 400)))
        }
        #expect(ReconnectPolicy.isRetryable(SERVER_ERROR()))
        #expect(ReconnectPolicy.isRetryable(Failure()))
        #expect(ReconnectPolicy.isRetryable(SocketConnectError.closedDuringHandshake(code: 1006, reason: "")))
    }

    @Test func shouldRetryCanVeto() {
        var machine = ReconnectMachine(policy: ReconnectPolicy(shouldRetry: { _ in false }), random: SplitMix(state: 1))
        _ = machine.connectRequested()
        _ = machine.connectSucceeded()
        _ = machine.connectionDropped()
        _ = machine.retryTimerFired()
        #expect(machine.connectFailed(SocketConnectError.transport("x")) == .stop(.unrecoverable))
    }

    @Test func attemptsRunOut() {
        var machine = ReconnectMachine(policy: ReconnectPolicy(maxAttempts: 2, jitter: .none), random: SplitMix(state: 1))
        _ = machine.connectRequested()
        _ = machine.connectSucceeded()
        #expect(machine.connectionDropped() == .scheduleRetry(delay: .milliseconds(500), attempt: 0))
        _ = machine.retryTimerFired()
        #expect(machine.connectFailed(Failure()) == .scheduleRetry(delay: .seconds(1), attempt: 1))
        _ = machine.retryTimerFired()
        #expect(machine.connectFailed(Failure()) == .stop(.retriesExhausted))
    }

    @Test func reconnectOffStopsWithDrop() {
        var machine = ReconnectMachine(policy: nil)
        _ = machine.connectRequested()
        _ = machine.connectSucceeded()
        #expect(machine.connectionDropped() == .stop(.drop))
    }

    @Test func manualCloseStopsEverywhere() {
        var machine = ReconnectMachine(policy: ReconnectPolicy(), random: SplitMix(state: 1))
        _ = machine.connectRequested()
        _ = machine.connectSucceeded()
        _ = machine.connectionDropped()
        #expect(machine.closeRequested() == .stop(.manual))
        #expect(machine.retryTimerFired() == .none)
        #expect(machine.closeRequested() == .none)
        #expect(machine.connectRequested() == .none)
    }
}
