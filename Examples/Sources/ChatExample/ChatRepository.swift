public import Tagged

/// Where the chat keeps channels, messages and read markers: ``ChatStore`` (SQLite, one server) or
/// ``PostgresChatStore`` (PostgreSQL, shared by the servers of a cluster).
///
/// Message ids are increasing integers (as text on the wire); history pages go backwards from `before`.
public protocol ChatRepository: Sendable {
    /// Every channel's id, oldest first.
    func channelIds() async throws -> [String]
    func channelExists(_ id: String) async throws -> Bool
    /// Creates `id`; `false` when it already existed.
    func createChannel(_ id: String, by user: UserId) async throws -> Bool
    /// Appends a message and returns it with its id.
    func append(text: String, from sender: UserId, to channelId: String) async throws -> Message
    /// Up to `limit` messages of `channelId` older than the message `before` (newest when `nil`), oldest first.
    func history(channelId: String, before: Int?, limit: Int) async throws -> [Message]
    /// The channel of message `id`, if it exists.
    func channel(ofMessage id: Int) async throws -> String?
    /// Moves `user`'s read marker in `channelId` forward to `messageId` (never backwards).
    func markRead(user: UserId, channelId: String, messageId: Int) async throws
    /// Every channel with `user`'s last read message id and the count of messages after it.
    func channelStates(for user: UserId) async throws -> [ChannelState]
    /// Releases the storage; the repository is unusable afterwards.
    func close() async throws
}

/// The channels every database starts with.
public let defaultChatChannels = ["general", "random"]
