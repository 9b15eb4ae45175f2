import Synchronization
import Testing

@testable import GrestContext

/// Counts calls from `@Sendable` closures.
private final class CallCounter: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }

    @discardableResult
    func increment() -> Int {
        count.add(1, ordering: .relaxed).newValue
    }
}

/// A flag shared with `@Sendable` closures.
private final class Flag: Sendable {
    private let state: Atomic<Bool>

    init(_ value: Bool) { state = Atomic(value) }

    var value: Bool {
        get { state.load(ordering: .relaxed) }
        set { state.store(newValue, ordering: .relaxed) }
    }
}

private struct RefreshFailed: Error, Equatable {}

@Suite("ContextKeySynchronizer", .timeLimit(.minutes(2)))
struct ContextKeySynchronizerTests {
    let keyA = ContextKey<String>("sync-test:a")
    let keyB = ContextKey<String>("sync-test:b")

    @Test("with no controller, waitFor returns at once")
    func noController() async throws {
        let sync = ContextKeySynchronizer()
        // A controller for another key does not make keyA wait either.
        await sync.provide(keyB, isStale: { true }, recover: { try await Task.sleep(for: .seconds(60)) })
        let elapsed = try await ContinuousClock().measure { try await sync.waitFor(keyA) }
        // "At once": far below the 60 s a wrongly awaited recover would take, with room for a loaded machine.
        #expect(elapsed < .seconds(5), "waitFor without a controller took \(elapsed)")
    }

    @Test("when not stale, recover is never called")
    func notStale() async throws {
        let sync = ContextKeySynchronizer()
        let recovers = CallCounter()
        await sync.provide(keyA, isStale: { false }, recover: { recovers.increment() })
        try await sync.waitFor(keyA)
        #expect(recovers.value == 0)
    }

    @Test("a stale key recovers once, then not again")
    func recoversOnce() async throws {
        let sync = ContextKeySynchronizer()
        let stale = Flag(true)
        let recovers = CallCounter()
        await sync.provide(
            keyA,
            isStale: { stale.value },
            recover: {
                recovers.increment()
                stale.value = false
            }
        )
        try await sync.waitFor(keyA)
        #expect(recovers.value == 1)
        try await sync.waitFor(keyA)
        #expect(recovers.value == 1)
    }

    @Test("5 concurrent waits cause exactly 1 recover")
    func concurrentWaitsShareOneRecover() async throws {
        let sync = ContextKeySynchronizer()
        let recovers = CallCounter()
        let (gate, open) = AsyncStream<Void>.makeStream()
        await sync.provide(
            keyB,
            isStale: { true },
            recover: {
                recovers.increment()
                for await _ in gate {}
            }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask { try await sync.waitFor(keyB) }
            }
            while await sync.waiterCount(forKeyNamed: keyB.name) < 5 {
                await Task.yield()
            }
            open.finish()
            try await group.waitForAll()
        }
        #expect(recovers.value == 1)
        #expect(await sync.waiterCount(forKeyNamed: keyB.name) == 0)
    }

    @Test("a failed recover reaches every waiter, and the next call retries")
    func failurePropagatesThenRetries() async throws {
        let sync = ContextKeySynchronizer()
        let recovers = CallCounter()
        let (gate, open) = AsyncStream<Void>.makeStream()
        await sync.provide(
            keyA,
            isStale: { true },
            recover: {
                if recovers.increment() == 1 {
                    for await _ in gate {}
                    throw RefreshFailed()
                }
            }
        )
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        try await sync.waitFor(keyA)
                        return false
                    } catch {
                        return error is RefreshFailed
                    }
                }
            }
            while await sync.waiterCount(forKeyNamed: keyA.name) < 3 {
                await Task.yield()
            }
            open.finish()
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(failures == 3)
        #expect(recovers.value == 1)

        try await sync.waitFor(keyA)
        #expect(recovers.value == 2)
    }

    @Test("clear turns the controller off")
    func clearTurnsOff() async throws {
        let sync = ContextKeySynchronizer()
        let recovers = CallCounter()
        await sync.provide(keyA, isStale: { true }, recover: { recovers.increment() })
        await sync.clear(keyA)
        try await sync.waitFor(keyA)
        #expect(recovers.value == 0)
    }

    @Test("keys are matched by name")
    func keysMatchByName() async throws {
        let sync = ContextKeySynchronizer()
        let recovers = CallCounter()
        await sync.provide(keyA, isStale: { true }, recover: { recovers.increment() })
        try await sync.waitFor(ContextKey<Int>("sync-test:a"))
        try await sync.waitFor(keyB)
        #expect(recovers.value == 1)
    }

    @Test("recover runs in the waiter's scope")
    func recoverSeesScope() async throws {
        let token = ContextKey<String>("sync-test:token", isMutable: true)
        let sync = ContextKeySynchronizer()
        try await Context.withNew(strict: true) {
            try token.set("expired")
            await sync.provide(token, isStale: { token.get() == "expired" }, recover: { try token.set("fresh") })
            try await sync.waitFor(token)
            #expect(token.get() == "fresh")
        }
    }

    @Test("current() lives in the scope chain, like grest-ts's context-held registry")
    func currentIsScoped() throws {
        #expect(throws: ContextError.noScope) { try ContextKeySynchronizer.current() }
        try Context.withNew(name: "connection") {
            let connection = try ContextKeySynchronizer.current()
            let again = try ContextKeySynchronizer.current()
            #expect(again === connection)
            let fromRequest = try Context.run(name: "request") { try ContextKeySynchronizer.current() }
            #expect(fromRequest === connection, "a child scope uses its parent's synchronizer")
            let fromOtherRoot = try Context.withNew(name: "other") { try ContextKeySynchronizer.current() }
            #expect(fromOtherRoot !== connection)
        }
    }

    @Test("value(for:orInsert:) runs make outside the level's lock, so make may write to the same scope")
    func valueOrInsertMakeMayWriteTheSameScope() {
        let slot = ContextKey<Int>("sync-test:slot")
        let other = ContextKey<String>("sync-test:other")
        let scope = Context(name: "shared")
        // `make` writes to the very level it is inserting into: under the level's lock this would deadlock or trap.
        let first = scope.value(for: slot) {
            try? scope.set(other, "made")
            return 1
        }
        #expect(first == 1 && scope.get(other) == "made")
        #expect(scope.value(for: slot) { 2 } == 1, "a stored value is returned; make does not replace it")
    }

    /// A guard for the insert itself (the code before and after the lock change both pass it): however the callers
    /// race, one value is stored and every caller gets it.
    @Test("value(for:orInsert:) stores one value for every concurrent caller")
    func valueOrInsertConcurrentCallersShareOneValue() async {
        let scope = Context(name: "shared")
        let racing = ContextKey<Int>("sync-test:racing")
        let results = await withTaskGroup(of: Int.self, returning: Set<Int>.self) { group in
            for index in 0..<32 { group.addTask { scope.value(for: racing) { index } } }
            return await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        #expect(results.count == 1, "every caller got the one stored value")
        #expect(results.first == scope.get(racing))
    }
}
