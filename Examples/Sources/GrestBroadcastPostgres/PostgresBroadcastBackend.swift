public import GrestWebSocket
public import Logging
public import PostgresNIO
import Synchronization

/// A ``BroadcastBackend`` on PostgreSQL: every publication is a row of a table and a `NOTIFY`; every instance
/// `LISTEN`s on one connection of its own.
///
/// - **Publish**: one statement inserts the row (`seq`, a `BIGSERIAL`, orders them) and calls `pg_notify` in the same
///   transaction, so the notification goes out exactly when the row is committed. A notification carries the whole
///   message when it fits (`inlineLimit`, under NOTIFY's 8000-byte cap) and only the `seq` otherwise; the listener then
///   reads the row. A publish that fails on a lost connection is retried (same message id) for `publishRetryWindow`.
/// - **Listen**: one dedicated connection. When it drops (PostgreSQL restarted, network), the backend reconnects with
///   exponential backoff, `LISTEN`s again, then reads every row after the highest `seq` it had seen (minus
///   `catchUpSlack`, for transactions that committed out of `seq` order), so nothing published during the gap is
///   lost. Rows and notifications can overlap: delivery is at least once, and ``SocketBroadcast`` drops repeats by
///   message id, so each socket sees each message once.
/// - **Bad input**: a notification on the channel that does not parse (a foreign writer) is logged and skipped.
/// - **Retention**: every `pruneInterval`, a child task of ``run(deliver:)`` (off the publish path) deletes the rows
///   older than `retention`, at most `pruneBatchSize` of the oldest rows per statement; a failure is logged and
///   retried at the next interval.
///
/// The instance's ``PostgresClient`` (used to publish and to read rows) must be running (`client.run()`, a service).
public final class PostgresBroadcastBackend: BroadcastBackend {
    public struct Configuration: Sendable {
        /// The `LISTEN`/`NOTIFY` channel and the table; lowercase letters, digits and `_`.
        public var channel = "grest_broadcast"
        public var table = "grest_broadcast"
        /// The largest notification text sent inline; larger messages travel by `seq` and a read of the row.
        public var inlineLimit = 7_900
        public var reconnectInitialDelay: Duration = .milliseconds(50)
        public var reconnectMaxDelay: Duration = .seconds(2)
        /// How long a publish retries on a lost connection before it throws.
        public var publishRetryWindow: Duration = .seconds(5)
        /// How long one publish attempt may wait for PostgreSQL before it counts as failed (and is retried within
        /// `publishRetryWindow`).
        public var queryTimeout: Duration = .seconds(2)
        /// How long the listener's reads (the catch-up after a reconnect, a row notified by `seq`) may wait for
        /// PostgreSQL before the listener drops its connection and reconnects.
        public var readTimeout: Duration = .seconds(10)
        /// After a reconnect, rows from `highest seen seq - catchUpSlack` on are read again.
        public var catchUpSlack = 1_024
        /// Rows older than this are deleted.
        public var retention: Duration = .seconds(600)
        /// How often ``run(deliver:)`` deletes the rows older than `retention`.
        public var pruneInterval: Duration = .seconds(60)
        /// The oldest rows one delete statement looks at (it repeats while a whole batch was expired).
        public var pruneBatchSize = 10_000

        public init() {}
    }

    let client: PostgresClient
    let listenConfiguration: PostgresConnection.Configuration
    public let configuration: Configuration
    let logger: Logger
    /// The highest `seq` when ``prepare()`` ran: the first `LISTEN` catches up from there, so what is published between
    /// start-up and the listener's first connection is not missed.
    private let preparedSeq = Mutex<Int64?>(nil)
    private let connectionIDs = Atomic<Int>(1)

    /// - Parameters:
    ///   - client: the pool that publishes and reads rows (run it as a service).
    ///   - listenConfiguration: where the dedicated `LISTEN` connection connects.
    public init(client: PostgresClient, listenConfiguration: PostgresConnection.Configuration, configuration: Configuration = Configuration(), logger: Logger) {
        precondition(Self.isIdentifier(configuration.channel) && Self.isIdentifier(configuration.table), "channel and table must be plain identifiers")
        self.client = client
        // Named, so operators (and the tests) can tell the listener apart in pg_stat_activity.
        var listenConfiguration = listenConfiguration
        listenConfiguration.options.additionalStartupParameters.append(("application_name", Self.listenerApplicationName))
        self.listenConfiguration = listenConfiguration
        self.configuration = configuration
        self.logger = logger
    }

    /// The `application_name` of the `LISTEN` connection.
    public static let listenerApplicationName = "grest_broadcast_listener"

    /// Creates the table if it does not exist, and marks where this instance's delivery starts. Call it before the
    /// server accepts sockets.
    public func prepare() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // Servers starting at once create the table one at a time: concurrent `CREATE TABLE IF NOT EXISTS` can fail
            // (a unique violation in the catalog). The lock ends with the transaction.
            var lock = PostgresQuery(unsafeSQL: "SELECT pg_advisory_xact_lock(hashtext($1))")
            lock.binds.append(configuration.table)
            try await connection.query(lock, logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(configuration.table) (
                            seq BIGSERIAL PRIMARY KEY,
                            id TEXT NOT NULL,
                            topic TEXT NOT NULL,
                            route TEXT NOT NULL,
                            excluding TEXT,
                            payload TEXT NOT NULL,
                            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
                        )
                        """), logger: logger)
        }
        let start = try await client.withConnection { connection in try await maxSeq(on: connection) }
        preparedSeq.withLock { $0 = start }
    }

    // MARK: Publish

    public func publish(_ message: BroadcastMessage) async throws {
        for field in [message.id, message.topic, message.route, message.excluding ?? ""] where field.utf8.contains(UInt8(ascii: "\n")) {
            throw PostgresBroadcastError.invalidField(field)
        }
        let payload = String(decoding: message.payload, as: UTF8.self)
        // The notification after the seq: "\n" id "\n" topic "\n" route "\n" excluding "\n" payload.
        let inline = "\n\(message.id)\n\(message.topic)\n\(message.route)\n\(message.excluding ?? "")\n\(payload)"
        let notification = inline.utf8.count + 20 <= configuration.inlineLimit ? inline : ""
        var query = PostgresQuery(
            unsafeSQL: """
                WITH row AS (
                    INSERT INTO \(configuration.table) (id, topic, route, excluding, payload) VALUES ($1, $2, $3, $4, $5) RETURNING seq
                )
                SELECT pg_notify('\(configuration.channel)', row.seq::text || $6) FROM row
                """)
        query.binds.append(message.id)
        query.binds.append(message.topic)
        query.binds.append(message.route)
        query.binds.append(message.excluding)
        query.binds.append(payload)
        query.binds.append(notification)
        let deadline = ContinuousClock.now + configuration.publishRetryWindow
        var delay = configuration.reconnectInitialDelay
        while true {
            do {
                // Bounded: a query postgres-nio loses on a connection that closed meanwhile is retried like a failed one.
                try await withPostgresDeadline(configuration.queryTimeout) { [client, logger, query] in
                    _ = try await client.query(query, logger: logger)
                }
                break
            } catch {
                // A retry may insert the row twice (the first commit's answer lost): same id, dropped by the reader.
                guard !(error is CancellationError), ContinuousClock.now + delay < deadline else { throw error }
                logger.debug("broadcast publish failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.reconnectMaxDelay)
            }
        }
    }

    // MARK: Listen

    /// Listens (and delivers) until cancelled; beside it, a child task deletes expired rows every `pruneInterval`.
    public func run(deliver: @escaping @Sendable (BroadcastMessage) -> Void) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.pruneUntilCancelled() }
            try await listen(deliver: deliver)
            group.cancelAll()
        }
    }

    private func listen(deliver: @escaping @Sendable (BroadcastMessage) -> Void) async throws {
        // Without `prepare()`, delivery starts with what commits after the first LISTEN.
        var highest = preparedSeq.withLock { $0 }
        // Rows before `highest` read again on a connect: none the first time, `catchUpSlack` after a reconnect.
        var slack: Int64 = 0
        var delay = configuration.reconnectInitialDelay
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: listenConfiguration, id: connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue, logger: logger)
                do {
                    try await connection.listen(on: configuration.channel) { notifications in
                        // LISTEN is active: whatever commits from now on is notified; read what came before.
                        if let seen = highest {
                            let (caughtUp, last) = try await readRows(after: seen - slack, on: connection, deliver: deliver)
                            if caughtUp > 0 { logger.info("broadcast caught up", metadata: ["rows": "\(caughtUp)"]) }
                            highest = max(seen, last ?? seen)
                        } else {
                            highest = try await maxSeq(on: connection)
                        }
                        slack = Int64(configuration.catchUpSlack)
                        delay = configuration.reconnectInitialDelay
                        for try await notification in notifications {
                            guard let seq = try await handle(notification.payload, on: connection, deliver: deliver) else { continue }
                            highest = max(highest ?? seq, seq)
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch where Task.isCancelled {
                return
            } catch {
                logger.warning("broadcast listener lost PostgreSQL; reconnecting", metadata: ["error": "\(String(reflecting: error))", "retryIn": "\(delay)"])
            }
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            delay = min(delay * 2, configuration.reconnectMaxDelay)
        }
    }

    /// Delivers the message of one notification (reading its row when it came by `seq` only); its `seq`, or `nil` when
    /// the notification does not parse.
    private func handle(
        _ text: String, on connection: PostgresConnection, deliver: @escaping @Sendable (BroadcastMessage) -> Void
    ) async throws -> Int64? {
        let parts = text.split(separator: "\n", maxSplits: 5, omittingEmptySubsequences: false)
        guard let seq = parts.first.flatMap({ Int64($0) }) else {
            logger.warning("broadcast: skipped a notification that does not parse", metadata: ["payload": "\(text.prefix(200))"])
            return nil
        }
        if parts.count == 1 {
            let (delivered, _) = try await readRows(after: seq - 1, through: seq, on: connection, deliver: deliver)
            if delivered == 0 { logger.warning("broadcast: no row for notified seq", metadata: ["seq": "\(seq)"]) }
            return seq
        }
        guard parts.count == 6, !parts[1].isEmpty, !parts[3].isEmpty else {
            logger.warning("broadcast: skipped a notification that does not parse", metadata: ["payload": "\(text.prefix(200))"])
            return nil
        }
        deliver(
            BroadcastMessage(
                id: String(parts[1]), topic: String(parts[2]), route: String(parts[3]), payload: Array(parts[5].utf8),
                excluding: parts[4].isEmpty ? nil : String(parts[4])))
        return seq
    }

    /// Delivers the rows with `after < seq <= through`, in `seq` order; how many, and the last `seq`. Bounded by
    /// `readTimeout`: a read that postgres-nio lost (``withPostgresDeadline(_:_:)``) throws, and the listener reconnects
    /// instead of waiting forever.
    private func readRows(
        after: Int64, through: Int64 = .max, on connection: PostgresConnection, deliver: @escaping @Sendable (BroadcastMessage) -> Void
    ) async throws -> (count: Int, last: Int64?) {
        try await withPostgresDeadline(configuration.readTimeout) { [self] in
            try await readRowsNow(after: after, through: through, on: connection, deliver: deliver)
        }
    }

    private func readRowsNow(
        after: Int64, through: Int64, on connection: PostgresConnection, deliver: @escaping @Sendable (BroadcastMessage) -> Void
    ) async throws -> (count: Int, last: Int64?) {
        var query = PostgresQuery(
            unsafeSQL: "SELECT seq, id, topic, route, excluding, payload FROM \(configuration.table) WHERE seq > $1 AND seq <= $2 ORDER BY seq")
        query.binds.append(after)
        query.binds.append(through)
        var count = 0
        var last: Int64?
        for try await (seq, id, topic, route, excluding, payload) in try await connection.query(query, logger: logger).decode(
            (Int64, String, String, String, String?, String).self)
        {
            deliver(BroadcastMessage(id: id, topic: topic, route: route, payload: Array(payload.utf8), excluding: excluding))
            count += 1
            last = seq
        }
        return (count, last)
    }

    // MARK: Retention

    /// Every `pruneInterval` until cancelled, deletes the rows older than `retention`; failures are logged.
    private func pruneUntilCancelled() async {
        while (try? await Task.sleep(for: configuration.pruneInterval)) != nil {
            do {
                // At least one row per statement, so a batch size of 0 cannot loop without end.
                let size = max(1, configuration.pruneBatchSize)
                var deleted = 0
                repeat {
                    let batch = try await pruneBatch(size: size)
                    deleted += batch
                    if batch < size { break }
                } while !Task.isCancelled
                if deleted > 0 { logger.debug("broadcast: deleted expired rows", metadata: ["rows": "\(deleted)"]) }
            } catch where Task.isCancelled {
                return
            } catch {
                logger.warning(
                    "broadcast: deleting expired rows failed; retrying in \(configuration.pruneInterval)",
                    metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Deletes the expired rows among the `size` oldest (bounded work: an index range of the primary key); how many.
    private func pruneBatch(size: Int) async throws -> Int {
        var query = PostgresQuery(
            unsafeSQL: """
                WITH deleted AS (
                    DELETE FROM \(configuration.table) WHERE seq IN (
                        SELECT seq FROM (SELECT seq, created_at FROM \(configuration.table) ORDER BY seq LIMIT $1) AS oldest
                        WHERE created_at < now() - make_interval(secs => $2)
                    ) RETURNING 1
                )
                SELECT count(*) FROM deleted
                """)
        query.binds.append(Int64(size))
        query.binds.append(Double(configuration.retention.components.seconds))
        for try await count in try await client.query(query, logger: logger).decode(Int64.self) { return Int(count) }
        return 0
    }

    private func maxSeq(on connection: PostgresConnection) async throws -> Int64 {
        try await withPostgresDeadline(configuration.readTimeout) { [configuration, logger] in
            let query = PostgresQuery(unsafeSQL: "SELECT COALESCE(MAX(seq), 0) FROM \(configuration.table)")
            for try await seq in try await connection.query(query, logger: logger).decode(Int64.self) { return seq }
            return 0
        }
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

public enum PostgresBroadcastError: Error, Equatable {
    /// An id, topic, route or excluding topic with a line break.
    case invalidField(String)
}
