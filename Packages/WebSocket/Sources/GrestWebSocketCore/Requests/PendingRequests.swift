package import GrestSchema

/// The requests this side has sent and not yet seen answered, as a value.
///
/// `Waiter` is whatever the driver resumes (a continuation in production, a tag in tests). IDs come from
/// one counter per socket per sending side, starting at 1; an `s` is matched by ID only. Timeouts are
/// deadlines the driver checks with ``expire(now:)``.
///
/// Differences from grest-ts, on purpose: an `s` for an unknown ID is ignored (grest-ts throws on it), the number
/// in flight is bounded, and timeout and close both *resolve* the waiter with a SERVER_ERROR.
package struct PendingRequests<Waiter: Sendable>: Sendable {
    struct Entry: Sendable {
        let path: String
        let deadline: ContinuousClock.Instant
        let waiter: Waiter
    }

    package enum StartAction: Sendable {
        /// Send `r:<path>:<id>:<data>`.
        case send(id: UInt64)
        /// Do not send; resolve `waiter` with `error` now (closed, draining, or too many in flight).
        case fail(Waiter, ServiceError)
    }

    package enum ResponseAction: Sendable {
        /// Resolve `waiter` with the `s` DATA (decode it with ``GrestSchema/ContractMethod/decodeReply(_:)``).
        case resolve(Waiter, path: String)
        /// No request with this ID is waiting (late after a timeout, duplicated, or bogus): ignore and count.
        case ignoreUnknown
    }

    /// The default request timeout (grest-ts: 30 s).
    package static var defaultTimeout: Duration { .seconds(30) }

    /// Timeout applied when ``start(path:now:timeout:waiter:)`` is not given one.
    package var timeout: Duration
    /// The most requests in flight at once; one more fails with SERVER_ERROR "Too many requests in flight".
    package let maxInFlight: Int
    private var nextID: UInt64 = 1
    private var entries: [UInt64: Entry] = [:]
    private var isClosed = false
    private var isDraining = false
    /// How many `s` frames matched no request.
    package private(set) var unknownResponseCount = 0

    package init(timeout: Duration = Self.defaultTimeout, maxInFlight: Int = 1024) {
        precondition(maxInFlight > 0, "maxInFlight must be positive")
        self.timeout = timeout
        self.maxInFlight = maxInFlight
    }

    /// Requests waiting for an answer.
    package var count: Int { entries.count }
    package var isEmpty: Bool { entries.isEmpty }

    /// The earliest timeout, for the driver's timer.
    package var nextDeadline: ContinuousClock.Instant? {
        entries.values.lazy.map(\.deadline).min()
    }

    /// Registers a request and hands out its ID.
    package mutating func start(path: String, now: ContinuousClock.Instant, timeout: Duration? = nil, waiter: Waiter) -> StartAction {
        if isClosed { return .fail(waiter, Self.closedError()) }
        if isDraining { return .fail(waiter, SERVER_ERROR(displayMessage: "Socket is disconnecting")) }
        guard entries.count < maxInFlight else {
            return .fail(waiter, SERVER_ERROR(displayMessage: "Too many requests in flight", debugMessage: "limit \(maxInFlight), path \(path)"))
        }
        let id = nextID
        nextID += 1
        entries[id] = Entry(path: path, deadline: now + (timeout ?? self.timeout), waiter: waiter)
        return .send(id: id)
    }

    /// An `s` arrived.
    package mutating func responseReceived(_ frame: SocketFrame) -> ResponseAction {
        guard frame.kind == .response, let id = frame.numericID, let entry = entries.removeValue(forKey: id) else {
            unknownResponseCount += 1
            return .ignoreUnknown
        }
        return .resolve(entry.waiter, path: entry.path)
    }

    /// The request could not be sent, or its caller went away: forget it and return its waiter.
    package mutating func cancel(id: UInt64) -> Waiter? {
        entries.removeValue(forKey: id)?.waiter
    }

    /// Requests whose deadline has passed, each with SERVER_ERROR "Request timeout".
    package mutating func expire(now: ContinuousClock.Instant) -> [(Waiter, ServiceError)] {
        let expired = entries.filter { $0.value.deadline <= now }.sorted { $0.key < $1.key }
        for (id, _) in expired { entries[id] = nil }
        return expired.map { id, entry in
            (entry.waiter, SERVER_ERROR(displayMessage: "Request timeout", debugMessage: "\(entry.path) id \(id)"))
        }
    }

    /// Graceful disconnect: new requests fail, those in flight may still complete. The driver closes once
    /// ``isEmpty`` or its own bound (grest-ts: 5 s) passes.
    package mutating func beginDraining() {
        isDraining = true
    }

    /// The socket closed: every pending request resolves to SERVER_ERROR "Socket connection closed!" and
    /// later starts fail the same way.
    package mutating func close() -> [(Waiter, ServiceError)] {
        isClosed = true
        let all = entries.sorted { $0.key < $1.key }
        entries.removeAll()
        return all.map { ($0.value.waiter, Self.closedError()) }
    }

    static func closedError() -> ServiceError {
        SERVER_ERROR(displayMessage: "Socket connection closed!")
    }
}
