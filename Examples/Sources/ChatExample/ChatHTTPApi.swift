public import Tagged
public import GrestHTTP
public import GrestSchema

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

    public static let contract = Contract("ChatHttpApi", me, messages, typing, online)

    public static let schema = HTTPSchema(contract, pathPrefix: "api")
        .use(BearerAuthMiddleware.shared)
        .routes {
            $0.get(me, "/me")
            $0.get(messages, "/messages")
            $0.post(typing, "/typing")
            $0.get(online, "/online")
        }
}

/// The chat app on one server: `ws://…/ws/chat` and `http://…/api/*`.
public func makeChatServer(_ configuration: HTTPServerConfiguration, service: ChatService) throws -> HTTPServer {
    let server = HTTPServer(configuration: configuration)
    server.register(ChatHTTPApi.schema, permissionResolver: BearerAuthMiddleware.scopes) { api in
        api.handle(ChatHTTPApi.me) { try authUserKey.assert().id }
        api.handle(ChatHTTPApi.messages) { service.history }
        api.handle(ChatHTTPApi.typing) { request in
            await service.notifyTyping(userId: try authUserKey.assert().id, channelId: request.channelId)
        }
        api.handle(ChatHTTPApi.online) { Online(connections: service.connectionCount, answering: await service.rollCall()) }
    }
    try server.register(ChatSocket, permissionResolver: BearerAuthMiddleware.scopes, service.handleConnection)
    return server
}
