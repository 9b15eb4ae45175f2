import SQLiteNIO
public import Tagged

/// The chat's history in SQLite: channels, messages and read markers.
///
/// One connection (SQLite serialises writers anyway) in WAL mode, so readers never wait for the writer. The schema
/// is versioned in `schema_migrations`; each migration runs once, in its own transaction. History pages use the
/// `(channel_id, id)` index: `WHERE channel_id = ? AND id < ? ORDER BY id DESC LIMIT ?`.
public final class ChatStore: ChatRepository {
    let connection: SQLiteConnection

    /// The channels every database starts with.
    public static let defaultChannels = defaultChatChannels

    /// Ordered migrations; a database records the highest version it has applied.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE channels (
                id TEXT PRIMARY KEY,
                created_by TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            """
            CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                channel_id TEXT NOT NULL REFERENCES channels(id),
                sender_id TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )
            """,
            "CREATE INDEX messages_by_channel ON messages (channel_id, id)",
            """
            CREATE TABLE read_markers (
                user_id TEXT NOT NULL,
                channel_id TEXT NOT NULL REFERENCES channels(id),
                last_read_id INTEGER NOT NULL,
                PRIMARY KEY (user_id, channel_id)
            ) WITHOUT ROWID
            """,
        ]
    ]

    private init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Opens (creating if needed) the database at `path`, or an in-memory one for `":memory:"`, and migrates it.
    public static func open(path: String) async throws -> ChatStore {
        let connection = try await SQLiteConnection.open(storage: path == ":memory:" ? .memory : .file(path: path))
        let store = ChatStore(connection: connection)
        do {
            try await store.prepare()
        } catch {
            try? await connection.close()
            throw error
        }
        return store
    }

    private func prepare() async throws {
        _ = try await connection.query("PRAGMA journal_mode = WAL")
        _ = try await connection.query("PRAGMA synchronous = NORMAL")
        _ = try await connection.query("PRAGMA foreign_keys = ON")
        _ = try await connection.query("PRAGMA busy_timeout = 5000")
        _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = try await connection.query("SELECT MAX(version) AS v FROM schema_migrations").first?.column("v")?.integer ?? 0
        for (index, statements) in Self.migrations.enumerated() where index + 1 > applied {
            _ = try await connection.query("BEGIN IMMEDIATE")
            do {
                for statement in statements { _ = try await connection.query(statement) }
                _ = try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [.integer(index + 1), .integer(now())])
                _ = try await connection.query("COMMIT")
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
        for channel in Self.defaultChannels {
            _ = try await connection.query(
                "INSERT OR IGNORE INTO channels (id, created_by, created_at) VALUES (?, 'system', ?)", [.text(channel), .integer(now())])
        }
    }

    /// The journal mode SQLite reports (`wal` for a file database, `memory` in memory).
    public func journalMode() async throws -> String {
        try await connection.query("PRAGMA journal_mode").first?.column("journal_mode")?.string ?? ""
    }

    /// Closes the connection; the store is unusable afterwards.
    public func close() async throws {
        try await connection.close()
    }

    // MARK: Channels

    /// Every channel's id, oldest first.
    public func channelIds() async throws -> [String] {
        try await connection.query("SELECT id FROM channels ORDER BY created_at, rowid").compactMap { $0.column("id")?.string }
    }

    public func channelExists(_ id: String) async throws -> Bool {
        try await !connection.query("SELECT 1 FROM channels WHERE id = ?", [.text(id)]).isEmpty
    }

    /// Creates `id`; `false` when it already existed.
    public func createChannel(_ id: String, by user: UserId) async throws -> Bool {
        _ = try await connection.query(
            "INSERT OR IGNORE INTO channels (id, created_by, created_at) VALUES (?, ?, ?)", [.text(id), .text(user.rawValue), .integer(now())])
        return try await connection.query("SELECT changes() AS n").first?.column("n")?.integer == 1
    }

    // MARK: Messages

    /// Appends a message and returns it with its id.
    public func append(text: String, from sender: UserId, to channelId: String) async throws -> Message {
        let timestamp = now()
        let rows = try await connection.query(
            "INSERT INTO messages (channel_id, sender_id, text, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [.text(channelId), .text(sender.rawValue), .text(text), .integer(timestamp)])
        guard let id = rows.first?.column("id")?.integer else { throw ChatStoreError.noRowId }
        return Message(id: String(id), text: text, senderId: sender, timestamp: timestamp, channelId: channelId)
    }

    /// Up to `limit` messages of `channelId` older than the message `before` (newest when `nil`), oldest first.
    public func history(channelId: String, before: Int? = nil, limit: Int) async throws -> [Message] {
        let rows = try await connection.query(
            "SELECT id, sender_id, text, created_at FROM messages WHERE channel_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
            [.text(channelId), .integer(before ?? Int.max), .integer(limit)])
        return rows.reversed().compactMap { row in
            guard let id = row.column("id")?.integer, let sender = row.column("sender_id")?.string, let text = row.column("text")?.string,
                let timestamp = row.column("created_at")?.integer
            else { return nil }
            return Message(id: String(id), text: text, senderId: UserId(rawValue: sender), timestamp: timestamp, channelId: channelId)
        }
    }

    /// The channel of message `id`, if it exists.
    public func channel(ofMessage id: Int) async throws -> String? {
        try await connection.query("SELECT channel_id FROM messages WHERE id = ?", [.integer(id)]).first?.column("channel_id")?.string
    }

    // MARK: Read markers

    /// Moves `user`'s read marker in `channelId` forward to `messageId` (never backwards).
    public func markRead(user: UserId, channelId: String, messageId: Int) async throws {
        _ = try await connection.query(
            """
            INSERT INTO read_markers (user_id, channel_id, last_read_id) VALUES (?, ?, ?)
            ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_id = MAX(last_read_id, excluded.last_read_id)
            """,
            [.text(user.rawValue), .text(channelId), .integer(messageId)])
    }

    /// Every channel with `user`'s last read message id and the count of messages after it.
    public func channelStates(for user: UserId) async throws -> [ChannelState] {
        let rows = try await connection.query(
            """
            SELECT c.id AS id, COALESCE(r.last_read_id, 0) AS last_read,
                (SELECT COUNT(*) FROM messages m WHERE m.channel_id = c.id AND m.id > COALESCE(r.last_read_id, 0) AND m.sender_id != ?) AS unread
            FROM channels c LEFT JOIN read_markers r ON r.channel_id = c.id AND r.user_id = ?
            ORDER BY c.created_at, c.rowid
            """,
            [.text(user.rawValue), .text(user.rawValue)])
        return rows.compactMap { row in
            guard let id = row.column("id")?.string, let lastRead = row.column("last_read")?.integer, let unread = row.column("unread")?.integer
            else { return nil }
            return ChannelState(id: id, unread: unread, lastReadId: String(lastRead))
        }
    }
}

enum ChatStoreError: Error {
    case noRowId
}
