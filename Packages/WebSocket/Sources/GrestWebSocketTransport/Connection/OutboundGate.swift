import Synchronization

/// Lets ``WebSocketConnection/send(_:)`` called off the connection's event loop hand a message over without waiting
/// for the loop to write it, while that cannot cost unbounded memory or lose a message silently.
///
/// The gate is open only while the handler can take a write at once (socket writable, nothing queued, not closing);
/// the handler opens and closes it on the event loop. A sender reserves the message's bytes first: at most
/// `maxInFlightBytes` may be on their way to the loop. Anything else (gate closed, budget spent, a large message)
/// takes the waiting path, which suspends behind an unwritable socket and reports a full queue. A message that raced
/// the gate closing is queued even past `maxQueuedBytes` (never dropped unseen): the queue overshoots by at most
/// `maxInFlightBytes`. So a task on the global executor crosses threads once per message (to the loop) instead of
/// twice (there and back), like `NIOAsyncWriter`, and a sender that outruns the socket is still pushed back.
final class OutboundGate: Sendable {
    private let isOpen = Atomic<Bool>(false)
    private let inFlightBytes = Atomic<Int>(0)
    let maxInFlightBytes: Int

    init(maxInFlightBytes: Int) {
        self.maxInFlightBytes = maxInFlightBytes
    }

    /// Event loop only: whether the handler takes writes at once now.
    func setOpen(_ open: Bool) {
        self.isOpen.store(open, ordering: .relaxed)
    }

    var isOpenNow: Bool { self.isOpen.load(ordering: .relaxed) }

    /// Reserves `bytes` of the in-flight budget if the gate is open; `false` means: take the waiting path.
    func tryReserve(_ bytes: Int) -> Bool {
        guard bytes <= self.maxInFlightBytes, self.isOpen.load(ordering: .relaxed) else { return false }
        let total = self.inFlightBytes.wrappingAdd(bytes, ordering: .relaxed).newValue
        if total > self.maxInFlightBytes {
            self.inFlightBytes.wrappingSubtract(bytes, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Returns a reservation once the loop has handled the message.
    func release(_ bytes: Int) {
        self.inFlightBytes.wrappingSubtract(bytes, ordering: .relaxed)
    }

    var inFlight: Int { self.inFlightBytes.load(ordering: .relaxed) }
}
