import GrestBroadcastPostgres
import Synchronization
import Testing

/// `withPostgresDeadline` bounds a wait that never ends and ignores cancellation, as a query that postgres-nio lost does.
@Suite("PostgreSQL call deadline", .timeLimit(.minutes(1)))
struct PostgresDeadlineTests {
    /// A call that never returns and does not observe cancellation, until the test releases it.
    final class LostCall: Sendable {
        private let parked = Mutex<[CheckedContinuation<Void, Never>]>([])

        func run() async -> Int {
            await withCheckedContinuation { continuation in parked.withLock { $0.append(continuation) } }
            return 0
        }

        func release() {
            let waiting = parked.withLock { parked in
                defer { parked.removeAll() }
                return parked
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    @Test func aLostCallFailsAtItsDeadline() async throws {
        let lost = LostCall()
        defer { lost.release() }
        let start = ContinuousClock.now
        await #expect(throws: PostgresDeadlineExceeded.self) {
            try await withPostgresDeadline(.milliseconds(200)) { await lost.run() }
        }
        let waited = ContinuousClock.now - start
        #expect(waited >= .milliseconds(200) && waited < .seconds(5), "waited \(waited)")
    }

    @Test func anAnswerInTimeIsReturnedAndAnErrorRethrown() async throws {
        #expect(try await withPostgresDeadline(.seconds(5)) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withPostgresDeadline(.seconds(5)) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func cancellingTheCallerEndsTheWaitAtOnce() async throws {
        let lost = LostCall()
        defer { lost.release() }
        let caller = Task { try await withPostgresDeadline(.seconds(60)) { await lost.run() } }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
