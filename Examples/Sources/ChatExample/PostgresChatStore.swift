import GrestBroadcastPostgres
import Logging
public import PostgresNIO
public import Tagged

/// The chat's history in PostgreSQL, for several chat servers at once (`grest-chat-server --postgres URL`): the same
/// tables and queries as ``ChatStore``, over a ``PostgresClient`` pool (which must be running, `client.run()`).
///
/// Migrations run under a transaction-scoped advisory lock, so servers starting together apply each one once.
public final class PostgresChatStore: ChatRepository {
    let client: PostgresClient
    let logger: Logger
    /// How long one operation may wait for PostgreSQL before it fails.
    let queryTimeout: Duration

    static let migrations: [[String]] = [
        [
            "CREATE TABLE channels (id TEXT PRIMARY KEY, created_by TEXT NOT NULL, created_at BIGINT NOT NULL)",
            """
            CREATE TABLE messages (
                id BIGSERIAL PRIMARY KEY,
                channel_id TEXT NOT NULL REFERENCES channels(id),
                sender_id TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX messages_by_channel ON messages (channel_id, id)",
            """
            CREATE TABLE read_markers (
                user_id TEXT NOT NULL,
                channel_id TEXT NOT NULL REFERENCES channels(id),
                last_read_id BIGINT NOT NULL,
                PRIMARY KEY (user_id, channel_id)
            )
            """,
        ]
    ]

    /// Migrates the database behind `client` and returns the store.
    public static func open(
        client: PostgresClient, logger: Logger = Logger(label: "grest.chat.postgres"), queryTimeout: Duration = .seconds(10)
    ) async throws -> PostgresChatStore {
        let store = PostgresChatStore(client: client, logger: logger, queryTimeout: queryTimeout)
        try await store.prepare()
        return store
    }

    private init(client: PostgresClient, logger: Logger, queryTimeout: Duration) {
        self.client = client
        self.logger = logger
        self.queryTimeout = queryTimeout
    }

    private func prepare() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // One server migrates at a time; the lock ends with the transaction.
            try await connection.query("SELECT pg_advisory_xact_lock(7405)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
            var applied = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied = version
            }
            for (index, statements) in Self.migrations.enumerated() where index + 1 > applied {
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO schema_migrations (version, applied_at) VALUES (\(index + 1), \(now()))", logger: logger)
            }
            for channel in defaultChatChannels {
                try await connection.query(
                    "INSERT INTO channels (id, created_by, created_at) VALUES (\(channel), 'system', \(now())) ON CONFLICT DO NOTHING", logger: logger)
            }
        }
    }

    public func close() async throws {}

    // MARK: Channels

    public func channelIds() async throws -> [String] {
        try await bounded { [self] in
            try await collect(client.query("SELECT id FROM channels ORDER BY created_at, id", logger: logger).decode(String.self))
        }
    }

    public func channelExists(_ id: String) async throws -> Bool {
        try await bounded { [self] in
            try await !collect(client.query("SELECT 1 FROM channels WHERE id = \(id)", logger: logger).decode(Int.self)).isEmpty
        }
    }

    public func createChannel(_ id: String, by user: UserId) async throws -> Bool {
        try await bounded { [self] in
            try await !collect(
                client.query(
                    "INSERT INTO channels (id, created_by, created_at) VALUES (\(id), \(user.rawValue), \(now())) ON CONFLICT DO NOTHING RETURNING 1",
                    logger: logger
                ).decode(Int.self)
            ).isEmpty
        }
    }

    // MARK: Messages

    public func append(text: String, from sender: UserId, to channelId: String) async throws -> Message {
        try await bounded { [self] in
            let timestamp = now()
            let ids = try await collect(
                client.query(
                    "INSERT INTO messages (channel_id, sender_id, text, created_at) VALUES (\(channelId), \(sender.rawValue), \(text), \(timestamp)) RETURNING id",
                    logger: logger
                ).decode(Int64.self))
            guard let id = ids.first else { throw ChatStoreError.noRowId }
            return Message(id: String(id), text: text, senderId: sender, timestamp: timestamp, channelId: channelId)
        }
    }

    public func history(channelId: String, before: Int?, limit: Int) async throws -> [Message] {
        try await bounded { [self] in
            let rows = try await collect(
                client.query(
                    """
                    SELECT id, sender_id, text, created_at FROM messages WHERE channel_id = \(channelId) AND id < \(Int64(before ?? Int.max))
                    ORDER BY id DESC LIMIT \(Int64(limit))
                    """,
                    logger: logger
                ).decode((Int64, String, String, Int64).self))
            return rows.reversed().map { id, sender, text, timestamp in
                Message(id: String(id), text: text, senderId: UserId(rawValue: sender), timestamp: Int(timestamp), channelId: channelId)
            }
        }
    }

    public func channel(ofMessage id: Int) async throws -> String? {
        try await bounded { [self] in
            try await collect(client.query("SELECT channel_id FROM messages WHERE id = \(Int64(id))", logger: logger).decode(String.self)).first
        }
    }

    // MARK: Read markers

    public func markRead(user: UserId, channelId: String, messageId: Int) async throws {
        try await bounded { [self] in
            _ = try await client.query(
                """
                INSERT INTO read_markers (user_id, channel_id, last_read_id) VALUES (\(user.rawValue), \(channelId), \(Int64(messageId)))
                ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_id = GREATEST(read_markers.last_read_id, excluded.last_read_id)
                """,
                logger: logger)
        }
    }

    public func channelStates(for user: UserId) async throws -> [ChannelState] {
        try await bounded { [self] in
            let rows = try await collect(
                client.query(
                    """
                    SELECT c.id, COALESCE(r.last_read_id, 0),
                        (SELECT COUNT(*) FROM messages m WHERE m.channel_id = c.id AND m.id > COALESCE(r.last_read_id, 0) AND m.sender_id != \(user.rawValue))
                    FROM channels c LEFT JOIN read_markers r ON r.channel_id = c.id AND r.user_id = \(user.rawValue)
                    ORDER BY c.created_at, c.id
                    """,
                    logger: logger
                ).decode((String, Int64, Int64).self))
            return rows.map { id, lastRead, unread in ChannelState(id: id, unread: Int(unread), lastReadId: String(lastRead)) }
        }
    }

    /// Runs one operation of the store within ``queryTimeout``: a query that PostgreSQL never answers, or that
    /// postgres-nio loses (``withPostgresDeadline(_:_:)``), fails the request instead of holding it forever.
    private func bounded<Result: Sendable>(_ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        try await withPostgresDeadline(queryTimeout, operation)
    }

    private func collect<Rows: AsyncSequence>(_ rows: Rows) async throws -> [Rows.Element] {
        var result: [Rows.Element] = []
        for try await row in rows { result.append(row) }
        return result
    }
}
