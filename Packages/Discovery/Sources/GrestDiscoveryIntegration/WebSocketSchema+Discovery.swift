public import GrestDiscovery
public import GrestSchema
public import GrestWebSocket
public import GrestWebSocketClient

extension WebSocketSchema {
    /// A socket client without a URL (grest-ts `resolveWsDomain`): the origin is resolved now (so an unknown API
    /// fails here) and again before every reconnect, so a client whose replica died moves to a live one.
    /// - Throws: `SERVER_ERROR` "Service discovery failed for WebSocket API X" (grest-ts's message).
    public func createClient(
        discovery: any DiscoveryClient, query: Query, configuration: SocketClientConfiguration = SocketClientConfiguration()
    ) async throws(ServiceError) -> SocketClient<Query> {
        createClient(url: try await origin(discovery), query: query, configuration: configuration.resolving(self, discovery))
    }

    /// Resolves the origin for this schema's API, as a `ws://` URL without the schema's path.
    public func origin(_ discovery: any DiscoveryClient) async throws(ServiceError) -> String {
        do {
            return try await discovery.resolve(api: name).webSocket.removingTrailing(pathPrefix: path).url
        } catch {
            throw SERVER_ERROR(displayMessage: "Service discovery failed for WebSocket API \(name)", debugMessage: error.description, originalError: error)
        }
    }
}

extension WebSocketSchema where Query == Void {
    /// A socket client without handshake query for the replica `discovery` resolves now.
    public func createClient(
        discovery: any DiscoveryClient, configuration: SocketClientConfiguration = SocketClientConfiguration()
    ) async throws(ServiceError) -> SocketClient<Void> {
        createClient(url: try await origin(discovery), configuration: configuration.resolving(self, discovery))
    }
}

extension SocketClientConfiguration {
    /// This configuration with an origin lookup through `discovery` before every dial (uncached: reconnects are
    /// rare and must not return the replica that just died).
    fileprivate func resolving<Query>(_ schema: WebSocketSchema<Query>, _ discovery: any DiscoveryClient) -> SocketClientConfiguration {
        var copy = self
        copy.originLookup = { try await schema.origin(discovery) }
        return copy
    }
}
