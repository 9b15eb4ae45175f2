import Synchronization

/// A `Mutex` in a class, so closures created before `self` exists can share it.
package final class LockedState<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: sending Value) {
        self.mutex = Mutex(value)
    }

    package func withLock<R, E: Error>(_ body: (inout sending Value) throws(E) -> sending R) throws(E) -> sending R {
        try mutex.withLock(body)
    }
}
