public import Tagged
public import GrestHTTP
public import GrestMetrics
import GrestMetricsHTTP
public import GrestSchema
import GrestContext
import GrestWebSocket

public struct TypingRequest: Sendable, Equatable {
    public var channelId: String

    public init(channelId: String) {
        self.channelId = channelId
    }
}

public struct Online: Sendable, Equatable {
    public var connections: Int
    public var answering: Int
}

/// The HTTP side of the chat, behind the same ``BearerAuthMiddleware`` as the socket.
public enum ChatHTTPApi {
    public static let me = ContractMethod("me", success: IsUserId, errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
    public static let messages = ContractMethod(
        "messages", success: IsArray(IsMessage), errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
    public static let typing = ContractMethod(
        "typing", input: IsObject(TypingRequest.init, field("channelId", \.channelId, IsString.nonEmpty)),
        errors: [VALIDATION_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:write"))
    public static let online = ContractMethod(
        "online", success: IsObject(Online.init, field("connections", \.connections, IsUint), field("answering", \.answering, IsUint)),
        errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))

    public static let channels = ContractMethod(
        "channels", success: IsArray(IsChannelState), errors: [SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
    public static let history = ContractMethod(
        "history", input: IsHistoryRequest, success: IsHistoryPage, errors: [VALIDATION_ERROR, NOT_FOUND, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN],
        permission: .scope("chat:read"))
    public static let send = ContractMethod(
        "send", input: IsSendMessageRequest, success: IsMessage, errors: [VALIDATION_ERROR, NOT_FOUND, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN],
        permission: .scope("chat:write"))
    public static let markAsRead = ContractMethod(
        "markAsRead", input: IsObject(MarkAsReadRequest.init, field("messageId", \.messageId, IsString)),
        errors: [VALIDATION_ERROR, NOT_FOUND, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))

    public static let contract = Contract("ChatHttpApi", me, messages, typing, online, channels, history, send, markAsRead)

    public static let schema = HTTPSchema(contract, pathPrefix: "api")
        .use(BearerAuthMiddleware.shared)
        .routes {
            $0.get(me, "/me")
            $0.get(messages, "/messages")
            $0.post(typing, "/typing")
            $0.get(online, "/online")
            $0.get(channels, "/channels")
            $0.get(history, "/channels/:channelId/messages")
            $0.post(send, "/channels/:channelId/messages")
            $0.post(markAsRead, "/read")
        }
}

/// The chat app on one server: `ws://…/ws/chat`, `http://…/api/*`, and the web page at `/` (from `publicDirectory`,
/// by default the page bundled with this module). With `metrics`, everything the server records through
/// swift-metrics (`grest_http_*`, `grest_ws_*`) lands in that registry, with the process metrics and the server's
/// load gauges, and `GET /metrics` serves it (Prometheus text, OpenMetrics or grest-ts JSON by `Accept`); it takes the
/// place of `configuration.metricsFactory`. Without `metrics`, the configuration's factory is used as given (the test
/// harness's per-app registry, see `ChatTestKitTests`).
public func makeChatServer(
    _ configuration: HTTPServerConfiguration, service: ChatService, publicDirectory: String? = chatPublicDirectory, metrics: MetricsRegistry? = nil
) throws -> HTTPServer {
    var configuration = configuration
    if let metrics { configuration.metricsFactory = metrics.makeMetricsFactory() }
    let server = HTTPServer(configuration: configuration)
    if let metrics {
        _ = try metrics.register(ProcessMetrics.self)
        try server.registerLoadMetrics(in: metrics)
        server.exposeMetrics(metrics, permission: .public)
    }
    if let publicDirectory { server.serveFiles(StaticFiles(directory: publicDirectory), at: "/") }
    server.register(ChatHTTPApi.schema, permissionResolver: BearerAuthMiddleware.scopes) { api in
        api.handle(ChatHTTPApi.me) { try authUserKey.assert().id }
        api.handle(ChatHTTPApi.messages) { try await service.latest() }
        api.handle(ChatHTTPApi.typing) { request in
            await service.notifyTyping(userId: try authUserKey.assert().id, channelId: request.channelId)
        }
        api.handle(ChatHTTPApi.online) { Online(connections: service.connectionCount, answering: await service.rollCall()) }
        api.handle(ChatHTTPApi.channels) { try await service.channels(for: try authUserKey.assert().id) }
        api.handle(ChatHTTPApi.history) { request in try await service.history(request) }
        api.handle(ChatHTTPApi.send) { request in try await service.send(request.text, from: try authUserKey.assert().id, to: request.channelId) }
        api.handle(ChatHTTPApi.markAsRead) { request in try await service.markRead(user: try authUserKey.assert().id, messageId: request.messageId) }
    }
    try server.register(ChatSocket, permissionResolver: BearerAuthMiddleware.scopes, service.handleConnection)
    return server
}
