public import GrestSchema

/// Runs a list of ``TransportMiddleware`` the way every transport does, so HTTP requests and WebSocket
/// handshakes go through exactly the same steps.
public enum TransportMiddlewareChain {
    /// Server side: every `parse`, then every `process`, then every `clear` (always, even after a failure).
    /// Returns the first thrown error as a ``ServiceError`` (the request or handshake is refused), else `nil`.
    public static func runServerSide(_ middleware: [any TransportMiddleware], _ request: InboundRequest) async -> ServiceError? {
        defer { for item in middleware { item.clear() } }
        do {
            for item in middleware { try item.parse(request) }
            for item in middleware { try await item.process() }
            return nil
        } catch {
            return ServiceError.fromUnknown(error)
        }
    }

    /// Client side: every `updateRequest`, in order.
    public static func runClientSide(_ middleware: [any TransportMiddleware], _ request: inout OutboundRequest) async throws {
        for item in middleware { try await item.updateRequest(&request) }
    }
}
