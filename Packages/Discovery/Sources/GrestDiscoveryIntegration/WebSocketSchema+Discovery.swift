public import GrestDiscovery
public import GrestSchema
public import GrestWebSocket

extension WebSocketSchema {
    /// A socket client for the replica `discovery` resolves now (grest-ts `resolveWsDomain`). The origin is looked
    /// up once, when the client is created: create a new client to move to another replica.
    /// - Throws: `SERVER_ERROR` "Service discovery failed for WebSocket API X" (grest-ts's message).
    public func createClient(
        discovery: any DiscoveryClient, query: Query, configuration: SocketClientConfiguration = SocketClientConfiguration()
    ) async throws(ServiceError) -> SocketClient<Query> {
        createClient(url: try await origin(discovery), query: query, configuration: configuration)
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
        createClient(url: try await origin(discovery), configuration: configuration)
    }
}
