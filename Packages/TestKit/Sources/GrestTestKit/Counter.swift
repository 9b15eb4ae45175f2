import Synchronization

/// A process-wide counter for scope and client ids.
final class Counter: Sendable {
    private let value = Atomic<UInt64>(0)

    func next() -> UInt64 { value.add(1, ordering: .relaxed).newValue }
}

let scopeCounter = Counter()
