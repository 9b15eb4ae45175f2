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
    /// The channel the message was sent to.
    public var channelId: String

    public init(id: String, text: String, senderId: UserId, timestamp: Int, channelId: String = "general") {
        self.id = id
        self.text = text
        self.senderId = senderId
        self.timestamp = timestamp
        self.channelId = channelId
    }
}

/// A channel as one user sees it: how many messages arrived after their read marker.
public struct ChannelState: Sendable, Equatable {
    public var id: String
    public var unread: Int
    /// The id of the last message the user marked read (`"0"` when none).
    public var lastReadId: String

    public init(id: String, unread: Int, lastReadId: String) {
        self.id = id
        self.unread = unread
        self.lastReadId = lastReadId
    }
}

/// A page of history: `before` is a message id (the oldest one already shown), absent for the newest page.
public struct HistoryRequest: Sendable, Equatable {
    public var channelId: String
    public var before: String?
    public var limit: Int?

    public init(channelId: String, before: String? = nil, limit: Int? = nil) {
        self.channelId = channelId
        self.before = before
        self.limit = limit
    }
}

public struct HistoryPage: Sendable, Equatable {
    /// Oldest first.
    public var messages: [Message]
    /// Whether older messages exist before the first one.
    public var hasMore: Bool

    public init(messages: [Message], hasMore: Bool) {
        self.messages = messages
        self.hasMore = hasMore
    }
}

public struct ChannelRequest: Sendable, Equatable {
    public var channelId: String

    public init(channelId: String) {
        self.channelId = channelId
    }
}

/// Who is connected right now.
public struct Presence: Sendable, Equatable {
    public var users: [UserId]

    public init(users: [UserId]) {
        self.users = users
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
    Message.init(id:text:senderId:timestamp:channelId:),
    field("id", \.id, IsString),
    field("text", \.text, IsString),
    field("senderId", \.senderId, IsUserId),
    field("timestamp", \.timestamp, IsUint),
    field("channelId", \.channelId, IsString))

/// Channel names: lowercase letters, digits, `-` and `_`, 1 to 32 characters.
public let IsChannelId = IsString.nonEmpty.maxLength(32).regex("^[a-z0-9][a-z0-9_-]*$")

public let IsChannelState = IsObject(
    ChannelState.init, field("id", \.id, IsString), field("unread", \.unread, IsUint), field("lastReadId", \.lastReadId, IsString))

public let IsHistoryRequest = IsObject(
    HistoryRequest.init, field("channelId", \.channelId, IsChannelId), field("before", \.before, IsString.orUndefined),
    field("limit", \.limit, IsInt.min(1).max(200).orUndefined))

public let IsHistoryPage = IsObject(HistoryPage.init, field("messages", \.messages, IsArray(IsMessage)), field("hasMore", \.hasMore, IsBoolean))

public let IsChannelRequest = IsObject(ChannelRequest.init, field("channelId", \.channelId, IsChannelId))

public let IsPresence = IsObject(Presence.init, field("users", \.users, IsArray(IsUserId)))

public let IsSendMessageRequest = IsObject(
    SendMessageRequest.init, field("text", \.text, IsString.nonEmpty.maxLength(2_000)), field("channelId", \.channelId, IsChannelId))

public let IsSendMessageResponse = IsObject(
    SendMessageResponse.init, field("success", \.success, IsBoolean), field("messageId", \.messageId, IsString))

public let IsTypingEvent = IsObject(TypingEvent.init, field("userId", \.userId, IsUserId), field("channelId", \.channelId, IsString))

public enum ChatApi {
    // Client to server.
    public static let sendMessage = ContractMethod(
        "sendMessage", input: IsSendMessageRequest, success: IsSendMessageResponse,
        errors: [VALIDATION_ERROR, NOT_FOUND, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:write"))
    public static let markAsRead = ContractMethod(
        "markAsRead", input: IsObject(MarkAsReadRequest.init, field("messageId", \.messageId, IsString)),
        errors: [VALIDATION_ERROR, NOT_FOUND, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
    public static let ping = ContractMethod("ping", permission: .public)
    /// Every channel with the caller's unread count.
    public static let channels = ContractMethod(
        "channels", success: IsArray(IsChannelState), errors: [SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
    /// A page of a channel's history.
    public static let history = ContractMethod(
        "history", input: IsHistoryRequest, success: IsHistoryPage, errors: [VALIDATION_ERROR, NOT_FOUND, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN],
        permission: .scope("chat:read"))
    public static let createChannel = ContractMethod(
        "createChannel", input: IsChannelRequest, success: IsChannelState, errors: [VALIDATION_ERROR, SERVER_ERROR, NOT_AUTHORIZED, FORBIDDEN],
        permission: .scope("chat:write"))
    /// "I am typing in this channel": pushed to the others as `typing`, at most once per second per user and channel.
    public static let startTyping = ContractMethod(
        "startTyping", input: IsChannelRequest, errors: [VALIDATION_ERROR, NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:write"))
    public static let online = ContractMethod("online", success: IsPresence, errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))

    // Server to client.
    public static let newMessage = ContractMethod("newMessage", input: IsMessage)
    public static let typing = ContractMethod("typing", input: IsTypingEvent)
    public static let areYouThere = ContractMethod("areYouThere", success: IsBoolean, errors: [SERVER_ERROR])
    public static let presence = ContractMethod("presence", input: IsPresence)
    public static let channelCreated = ContractMethod("channelCreated", input: IsChannelRequest)

    public static let contract = SocketContract(
        "ChatApi", clientToServer: [sendMessage, markAsRead, ping, channels, history, createChannel, startTyping, online],
        serverToClient: [newMessage, typing, areYouThere, presence, channelCreated])
}

/// `ws://host:port/ws/chat`, bearer auth at the handshake, `chat:read` needed to connect at all.
public let ChatSocket = webSocketSchema(ChatApi.contract)
    .path("ws/chat")
    .use(BearerAuthMiddleware.shared)
    .connectPermission(.scope("chat:read"))
    .done()
