/// A connection the pool can share and close.
public protocol PoolableConnection: Sendable {
    /// Closes the connection; `graceful` waits (bounded) for requests in flight.
    func close(graceful: Bool) async
}

/// Shares one connection per ``SocketPoolKey`` between refcounted handles (grest-ts `GGSocketPool`).
///
/// Concurrent ``getOrCreate(key:open:)`` calls for one key share one open; the last ``detach(_:)``
/// closes the connection. Generic over the connection so the bookkeeping is testable with a fake.
/// One pool per owner (a client factory, a test), not a process-wide global as in grest-ts (tests could not isolate it).
public actor SocketPool<Connection: PoolableConnection> {
    private enum Entry {
        case opening(Task<Connection, any Error>, generation: UInt64)
        case open(Connection, handles: Set<UInt64>, generation: UInt64)

        var generation: UInt64 {
            switch self {
            case .opening(_, let generation), .open(_, _, let generation): generation
            }
        }
    }

    private var entries: [SocketPoolKey: Entry] = [:]
    private var nextID: UInt64 = 1

    public init() {}

    /// Open connections.
    public var size: Int {
        entries.values.count { if case .open = $0 { true } else { false } }
    }

    /// Connections being opened.
    public var pendingSize: Int {
        entries.values.count { if case .opening = $0 { true } else { false } }
    }

    /// The keys in the pool (hashed: safe to log).
    public var connectionKeys: [SocketPoolKey] {
        entries.keys.sorted { $0.value < $1.value }
    }

    /// How many handles share the connection for `key`.
    public func handleCount(for key: SocketPoolKey) -> Int {
        if case .open(_, let handles, _) = entries[key] { return handles.count }
        return 0
    }

    /// A handle on the connection for `key`, opening it with `open` when there is none. Callers that arrive
    /// while it is opening wait for the same open; if it fails they all get its error.
    ///
    /// - Throws: the open's error, or ``SocketPoolError/removedWhileOpening`` when ``closeAll(graceful:)`` or
    ///   ``removeFromPool(_:)`` ran meanwhile (the fresh connection is then closed: nobody owns it).
    public func getOrCreate(key: SocketPoolKey, open: @escaping @Sendable () async throws -> Connection) async throws -> SocketPoolHandle<Connection> {
        let task: Task<Connection, any Error>
        let generation: UInt64
        switch entries[key] {
        case .open(let connection, var handles, let existing):
            let id = makeID()
            handles.insert(id)
            entries[key] = .open(connection, handles: handles, generation: existing)
            return SocketPoolHandle(key: key, id: id, generation: existing, connection: connection)
        case .opening(let pending, let existing):
            task = pending
            generation = existing
        case nil:
            generation = makeID()
            // Shared by every caller waiting for this key: no one caller's task may own it (cancelling that caller
            // would fail the others), and `closeAll` waits for it.
            task = Task { try await open() }
            entries[key] = .opening(task, generation: generation)
        }

        let connection: Connection
        do {
            connection = try await task.value
        } catch {
            if case .opening(_, generation)? = entries[key] { entries[key] = nil }
            throw error
        }
        let id = makeID()
        switch entries[key] {
        case .opening(_, generation)?:
            entries[key] = .open(connection, handles: [id], generation: generation)
        case .open(let current, var handles, generation)?:
            handles.insert(id)
            entries[key] = .open(current, handles: handles, generation: generation)
        default:
            // Only the first waiter to resume owns closing the orphan; the others see the same state.
            await connection.close(graceful: false)
            throw SocketPoolError.removedWhileOpening
        }
        return SocketPoolHandle(key: key, id: id, generation: generation, connection: connection)
    }

    /// Releases `handle`; the last handle closes the connection gracefully. Detaching twice does nothing.
    public func detach(_ handle: SocketPoolHandle<Connection>) async {
        guard case .open(let connection, var handles, let generation)? = entries[handle.key], generation == handle.generation,
            handles.remove(handle.id) != nil
        else { return }
        if handles.isEmpty {
            entries[handle.key] = nil
            await connection.close(graceful: true)
        } else {
            entries[handle.key] = .open(connection, handles: handles, generation: generation)
        }
    }

    /// Forgets `key` without closing its connection (grest-ts `removeFromPool`); returns whether it was there.
    @discardableResult
    public func removeFromPool(_ key: SocketPoolKey) -> Bool {
        entries.removeValue(forKey: key) != nil
    }

    /// The connection behind `handle` ended for good (final close): drop its entry so the next
    /// ``getOrCreate(key:open:)`` opens afresh.
    public func connectionEnded(_ handle: SocketPoolHandle<Connection>) {
        if entries[handle.key]?.generation == handle.generation { entries[handle.key] = nil }
    }

    /// Closes every connection, waiting for opens in flight first; `graceful` lets requests in flight finish.
    public func closeAll(graceful: Bool = true) async {
        let all = entries.values
        entries.removeAll()
        await withTaskGroup(of: Void.self) { group in
            for entry in all {
                switch entry {
                case .open(let connection, _, _):
                    group.addTask { await connection.close(graceful: graceful) }
                case .opening(let task, _):
                    // The waiter in getOrCreate closes the orphan; just wait for the open to settle.
                    group.addTask { _ = try? await task.value }
                }
            }
        }
    }

    private func makeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }
}

/// One user's share of a pooled connection.
public struct SocketPoolHandle<Connection: PoolableConnection>: Sendable {
    public let key: SocketPoolKey
    let id: UInt64
    let generation: UInt64
    public let connection: Connection
}

public enum SocketPoolError: Error, Sendable, Equatable {
    /// The pool was closed or the key removed while the connection was opening.
    case removedWhileOpening
}
