import GrestHTTP
public import GrestSchema
public import GrestWebSocket
public import Tagged

/// The seed README's `ChatApi`, in Swift.
public enum UserIdTag {}
public typealias UserId = Tagged<UserIdTag, String>

public struct Message: Sendable, Equatable {
    public var id: String
    public var text: String
    public var senderId: UserId
    public var timestamp: Int

    public init(id: String, text: String, senderId: UserId, timestamp: Int) {
        self.id = id
        self.text = text
        self.senderId = senderId
        self.timestamp = timestamp
    }
}

public struct SendMessageRequest: Sendable, Equatable {
    public var text: String
    public var channelId: String

    public init(text: String, channelId: String) {
        self.text = text
        self.channelId = channelId
    }
}

public struct SendMessageResponse: Sendable, Equatable {
    public var success: Bool
    public var messageId: String
}

public struct MarkAsReadRequest: Sendable, Equatable {
    public var messageId: String

    public init(messageId: String) {
        self.messageId = messageId
    }
}

public struct TypingEvent: Sendable, Equatable {
    public var userId: UserId
    public var channelId: String

    public init(userId: UserId, channelId: String) {
        self.userId = userId
        self.channelId = channelId
    }
}

public let IsUserId = IsString.nonEmpty.brand(UserIdTag.self)

public let IsMessage = IsObject(
    Message.init,
    field("id", \.id, IsString),
    field("text", \.text, IsString),
    field("senderId", \.senderId, IsUserId),
    field("timestamp", \.timestamp, IsUint))

public let IsSendMessageRequest = IsObject(
    SendMessageRequest.init, field("text", \.text, IsString.nonEmpty.maxLength(2_000)), field("channelId", \.channelId, IsString.nonEmpty))

public let IsSendMessageResponse = IsObject(
    SendMessageResponse.init, field("success", \.success, IsBoolean), field("messageId", \.messageId, IsString))

public let IsTypingEvent = IsObject(TypingEvent.init, field("userId", \.userId, IsUserId), field("channelId", \.channelId, IsString))

public enum ChatApi {
    // Client to server.
    public static let sendMessage = ContractMethod(
        "sendMessage", input: IsSendMessageRequest, success: IsSendMessageResponse,
        errors: [VALIDATION_ERROR, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:write"))
    public static let markAsRead = ContractMethod(
        "markAsRead", input: IsObject(MarkAsReadRequest.init, field("messageId", \.messageId, IsString)),
        errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
    public static let ping = ContractMethod("ping", permission: .public)

    // Server to client.
    public static let newMessage = ContractMethod("newMessage", input: IsMessage)
    public static let typing = ContractMethod("typing", input: IsTypingEvent)
    public static let areYouThere = ContractMethod("areYouThere", success: IsBoolean, errors: [SERVER_ERROR])

    public static let contract = SocketContract(
        "ChatApi", clientToServer: [sendMessage, markAsRead, ping], serverToClient: [newMessage, typing, areYouThere])
}

/// `ws://host:port/ws/chat`, bearer auth at the handshake, `chat:read` needed to connect at all.
public let ChatSocket = webSocketSchema(ChatApi.contract)
    .path("ws/chat")
    .use(BearerAuthMiddleware.shared)
    .connectPermission(.scope("chat:read"))
    .done()
