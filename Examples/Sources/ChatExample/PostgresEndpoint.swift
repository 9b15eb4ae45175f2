public import PostgresNIO

/// Where `grest-chat-server --postgres URL` connects: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, no TLS
/// (a loopback or private-network server).
public struct PostgresEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public init(host: String, port: Int = 5432, user: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Parses `postgres://` or `postgresql://` URLs; `nil` for anything else.
    public init?(url: String) {
        let scheme = url.prefix { $0 != ":" }
        guard ["postgres", "postgresql"].contains(scheme), url.dropFirst(scheme.count).hasPrefix("://") else { return nil }
        let rest = url.dropFirst(scheme.count + 3)
        guard let at = rest.lastIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else { return nil }
        let credentials = rest[..<at].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let address = rest[rest.index(after: at)..<slash]
        let database = rest[rest.index(after: slash)...].prefix { $0 != "?" }
        guard let user = credentials.first, !user.isEmpty, !database.isEmpty else { return nil }
        var host = Substring(address)
        var port = 5432
        if let colon = address.lastIndex(of: ":") {
            guard let parsed = Int(address[address.index(after: colon)...]) else { return nil }
            host = address[..<colon]
            port = parsed
        }
        guard !host.isEmpty else { return nil }
        self.init(
            host: String(host), port: port, user: String(user), password: credentials.count > 1 ? String(credentials[1]) : nil,
            database: String(database))
    }

    /// For the pool (history and publishing).
    public var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    /// For the dedicated `LISTEN` connection.
    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}
