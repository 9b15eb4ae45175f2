/// Coordinates the refresh of a stale context value, such as an expiring auth token (grest-ts `GGContextKeySynchronizer`).
///
/// A provider registers how to tell the value is stale and how to recover it; readers call ``waitFor(_:)`` before
/// using the value. However many readers wait at once, one recover runs, and all of them get its outcome.
///
/// ```swift
/// await sync.provide(AuthToken, isStale: { AuthToken.get()?.isExpired ?? true }, recover: { try await refreshToken() })
/// try await sync.waitFor(AuthToken)   // refreshes at most once, however many calls wait
/// ```
public actor ContextKeySynchronizer {
    private struct Controller {
        let generation: UInt64
        let isStale: @Sendable () async -> Bool
        let recover: @Sendable () async throws -> Void
        var inflight: Task<Void, any Error>?
    }

    private var controllers: [String: Controller] = [:]
    private var nextGeneration: UInt64 = 0
    private var waiters: [String: Int] = [:]

    /// Creates a synchronizer with no controllers.
    public init() {}

    /// Registers (or replaces) the controller for `key`; keys are matched by name.
    /// - Parameters:
    ///   - isStale: Tells whether the value needs recovering.
    ///   - recover: Brings the value up to date; may throw.
    public func provide<Value>(
        _ key: ContextKey<Value>,
        isStale: @escaping @Sendable () async -> Bool,
        recover: @escaping @Sendable () async throws -> Void
    ) {
        nextGeneration += 1
        controllers[key.name] = Controller(generation: nextGeneration, isStale: isStale, recover: recover, inflight: nil)
    }

    /// Returns once `key`'s value is fresh.
    ///
    /// Returns at once when no controller is registered or the value is not stale. Otherwise it starts `recover`, or
    /// joins the one already running. A waiter that is cancelled still waits for the shared recover, which other waiters need.
    /// - Throws: The error of the recover it waited on; the next call starts a new recover.
    public func waitFor<Value>(_ key: ContextKey<Value>) async throws {
        guard let controller = controllers[key.name], await controller.isStale() else { return }
        // `isStale` suspended: another waiter may have started a recover, or the controller may have been cleared.
        guard var current = controllers[key.name] else { return }
        let recover: Task<Void, any Error>
        if let inflight = current.inflight {
            recover = inflight
        } else {
            let generation = current.generation
            let body = current.recover
            // Shared by every waiter that comes while it runs, and kept when the one that started it is cancelled: no
            // single caller can own it, so it is a task of its own.
            recover = Task { try await self.perform(body, name: key.name, generation: generation) }
            current.inflight = recover
            controllers[key.name] = current
        }
        waiters[key.name, default: 0] += 1
        defer {
            waiters[key.name, default: 1] -= 1
            if waiters[key.name] == 0 { waiters[key.name] = nil }
        }
        try await recover.value
    }

    /// Removes the controller for `key`, so ``waitFor(_:)`` returns at once; a recover already running still finishes.
    public func clear<Value>(_ key: ContextKey<Value>) {
        controllers[key.name] = nil
    }

    /// How many calls are waiting on a recover for the key named `name`; lets tests hold a recover until all have joined.
    func waiterCount(forKeyNamed name: String) -> Int {
        waiters[name, default: 0]
    }

    private func perform(_ body: @Sendable () async throws -> Void, name: String, generation: UInt64) async throws {
        // Cleared before the waiters resume, so a failure is not handed to later callers: they retry.
        defer {
            if controllers[name]?.generation == generation {
                controllers[name]?.inflight = nil
            }
        }
        try await body()
    }
}

extension ContextKeySynchronizer {
    private static let scopeKey = ContextKey<ContextKeySynchronizer>("sync:controllers")

    /// The synchronizer of the current scope chain, created at the current level when none exists.
    ///
    /// This mirrors grest-ts, where controllers live in the context: a synchronizer provided in a connection's
    /// scope is seen by every request scope branched from it.
    /// - Throws: ``ContextError/noScope`` outside a scope.
    public static func current() throws(ContextError) -> ContextKeySynchronizer {
        try Context.require().value(for: scopeKey) { ContextKeySynchronizer() }
    }
}
