public import CoreMetrics
public import NIOCore

/// How an ``HTTPServer`` listens and what it tolerates. Every limit is on by default.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind; `127.0.0.1` by default (use `0.0.0.0` to accept remote callers).
    public var host: String = "127.0.0.1"
    /// The port; `0` picks a free one, reported by ``HTTPServer/port`` after start.
    public var port: Int = 0
    public var cors: CORSPolicy = .init()
    public var limits: Limits = .init()
    /// How long shutdown waits for in-flight requests before closing their connections.
    public var shutdownTimeout: TimeAmount = .seconds(10)
    /// How long shutdown waits, after `shutdownTimeout`, for the hosted tasks it cancelled (``HTTPServer/addHostedTask(_:)``)
    /// to return. One that has not by then is logged and left running: it cannot hold the shutdown forever.
    public var shutdownCancellationGrace: TimeAmount = .seconds(2)
    /// Where metrics go; `nil` = the process-wide `MetricsSystem` factory.
    public var metricsFactory: (any MetricsFactory)?

    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }

    /// Request and connection limits (defaults in the README's limits table).
    public struct Limits: Sendable {
        /// The largest request body; a route or contract method may raise or lower it. Over it → 413.
        public var maxBodyBytes: Int = 1 << 20
        /// The largest request head (request line + headers) this server reads. Over it → 431.
        /// NIO's parser refuses heads over 80 KiB on its own (400).
        public var maxHeaderBytes: Int = 16 * 1024
        /// How long an idle connection may wait for a complete request head: keep-alive idle time, and the
        /// bound on a head trickled in slowly (slowloris).
        public var idleTimeout: TimeAmount = .seconds(60)
        /// How long a request may take from its head to the end of its body.
        public var readTimeout: TimeAmount = .seconds(30)
        /// Open connections at most; the next one is closed at once.
        public var maxConnections: Int = 10_000

        public init() {}
    }
}

/// Cross-origin rules, applied when a request carries `Origin` (grest-ts `cors`).
public struct CORSPolicy: Sendable {
    /// Which origins get `Access-Control-Allow-Origin`.
    public enum Origins: Sendable {
        /// `*` for everyone.
        case any
        /// Only these origins, echoed back with `Vary: Origin` (`"null"` never matches).
        case list([String])
    }

    public var origins: Origins
    /// Adds `Access-Control-Allow-Credentials: true` (with an origin list).
    public var allowsCredentials: Bool
    /// `Access-Control-Max-Age` on preflight answers, in seconds.
    public var maxAge: Int?

    public init(origins: Origins = .any, allowsCredentials: Bool = false, maxAge: Int? = nil) {
        self.origins = origins
        self.allowsCredentials = allowsCredentials
        self.maxAge = maxAge
    }
}
