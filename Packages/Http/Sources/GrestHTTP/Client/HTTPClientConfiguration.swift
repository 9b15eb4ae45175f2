public import NIOCore

/// How an ``HTTPClient`` calls (grest-ts `createClient({timeout, …})`).
public struct HTTPClientConfiguration: Sendable {
    /// The whole call, connect included; past it the call fails with `SERVER_ERROR` (grest-ts default 15 s).
    public var timeout: TimeAmount = .seconds(15)
    /// Idle keep-alive connections kept per client.
    public var maxIdleConnections: Int = 8

    public init(timeout: TimeAmount = .seconds(15), maxIdleConnections: Int = 8) {
        self.timeout = timeout
        self.maxIdleConnections = maxIdleConnections
    }
}
