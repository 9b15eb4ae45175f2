import Synchronization

/// Wakes waiters when something happened (a call reached a mock, a push arrived), so waits are event-driven.
final class Signal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they were registered (so registration resumes them at once).
        var cancelled: Set<UInt64> = []
        /// Waiters registered so far, to tell "not yet registered" from "already resumed" on cancellation.
        var registered: Set<UInt64> = []
    }

    private let state = Mutex(State())
    private let ids = Counter()

    /// Wakes every waiter.
    func notify() {
        let waiters = state.withLock { state in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once `isMet()` holds or at `deadline`, re-checking after every notification.
    func wait(until deadline: ContinuousClock.Instant, isMet: @Sendable () -> Bool) async {
        while !isMet(), ContinuousClock.now < deadline, !Task.isCancelled {
            let generation = state.withLock { $0.generation }
            if isMet() { return }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.nextNotification(after: generation) }
                group.addTask { try? await Task.sleep(until: deadline) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func nextNotification(after generation: UInt64) async {
        let id = ids.next()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    state.registered.insert(id)
                    if state.generation != generation || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return Optional(waiter) }
                if !state.registered.contains(id) { state.cancelled.insert(id) }
                return nil
            }
            waiter?.resume()
        }
        _ = state.withLock { $0.registered.remove(id) }
    }
}
