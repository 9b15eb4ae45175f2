import GrestSchema

/// One pooled client's share of a shared socket: the shared (dedicated) client behind it and the pool's refcount
/// handle.
///
/// ``attach(to:key:handlers:open:)`` joins (or opens) the socket and adds this client's handlers all or nothing;
/// ``release(routes:)`` takes them away again and gives the handle back, so the last release closes the socket.
struct PooledSocketHandle<Query: Sendable>: Sendable {
    let core: SocketClient<Query>
    let handle: SocketPoolHandle<PooledSocket>
    let pool: SocketClientPool

    /// Joins the socket for `key`, opening it with `open` when the pool has none, and adds `handlers` to it.
    /// - Throws: the open's error; SERVER_ERROR when another pooled client already handles one of `handlers`' methods
    ///   (none of them is added then) or the pooled socket serves another query type.
    static func attach(
        to pool: SocketClientPool, key: SocketPoolKey, handlers: SocketHandlerTable,
        open: @escaping @Sendable () async throws -> SocketClient<Query>
    ) async throws -> PooledSocketHandle {
        let handle = try await pool.pool.getOrCreate(key: key) { PooledSocket(client: try await open()) }
        guard let core = handle.connection.client as? SocketClient<Query> else {
            await pool.pool.detach(handle)
            throw SERVER_ERROR(debugMessage: "Pooled socket for \(key) serves another query type")
        }
        // The pool forgets a socket that stopped for good (before its clients hear `onClose`), so the next client
        // opens a fresh one. Every attach adds this; the pool ignores all but the first for one socket.
        await core.whenStopped { await pool.pool.connectionEnded(handle) }
        do {
            // All or nothing: a clash with another pooled client's handler adds none of ours.
            try core.incoming.update { table throws(SocketRegistrationError) in try table.add(handlers) }
        } catch {
            await pool.pool.detach(handle)
            throw SERVER_ERROR(displayMessage: error.description)
        }
        return PooledSocketHandle(core: core, handle: handle, pool: pool)
    }

    /// Takes this client's handlers (`routes`) off the shared socket and releases the handle; the last release
    /// closes it.
    func release(routes: Set<String>) async {
        core.removeHandlers(routes: routes)
        await pool.pool.detach(handle)
    }
}
