/// Shares typed client sockets per (URL, handshake headers) between clients of one socket API
/// (grest-ts `GGSocketPool`, the refcounted kind). One pool per owner, never a process-wide global.
///
/// ```swift
/// let pool = SocketClientPool()
/// var configuration = SocketClientConfiguration()
/// configuration.pool = pool
/// let a = ChatSocket.createClient(url: url, configuration: configuration)
/// let b = ChatSocket.createClient(url: url, configuration: configuration)
/// try await a.connect(); try await b.connect()      // one socket: await pool.size == 1
/// await a.disconnect()                              // b keeps working; the last disconnect closes it
/// ```
///
/// Pooled clients share one reconnect loop and one heartbeat. Each registers its own `incoming` handlers;
/// two pooled clients handling the same method throw "already registered". Keys hash the handshake headers
/// with SHA-256, so a bearer token never appears in ``connectionKeys``.
public final class SocketClientPool: Sendable {
    let pool = SocketPool<PooledSocket>()

    public init() {}

    /// Open sockets.
    public var size: Int { get async { await pool.size } }
    /// Sockets being opened.
    public var pendingSize: Int { get async { await pool.pendingSize } }
    /// The keys of the open sockets (for debugging; they never contain credentials).
    public var connectionKeys: [SocketPoolKey] { get async { await pool.connectionKeys } }

    /// How many clients share the socket for `key`.
    public func handleCount(for key: SocketPoolKey) async -> Int {
        await pool.handleCount(for: key)
    }

    /// Closes every socket; `graceful` lets requests in flight finish (bounded).
    public func closeAll(graceful: Bool = true) async {
        await pool.closeAll(graceful: graceful)
    }

    /// Forgets `key` without closing its socket; returns whether it was there.
    @discardableResult
    public func removeFromPool(_ key: SocketPoolKey) async -> Bool {
        await pool.removeFromPool(key)
    }
}

/// A pooled socket: the shared client behind every handle.
struct PooledSocket: PoolableConnection {
    let client: any PooledSocketClient

    func close(graceful: Bool) async {
        if graceful { await client.disconnect() } else { await client.close() }
    }
}

protocol PooledSocketClient: AnyObject, Sendable {
    func disconnect() async
    func close() async
}
