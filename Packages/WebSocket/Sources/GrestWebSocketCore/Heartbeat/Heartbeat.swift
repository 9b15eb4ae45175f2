/// Liveness of one socket as a value (grest-ts heartbeat).
///
/// Every ``Configuration/interval`` the driver is told to ping: an RFC 6455 ping when the transport has one
/// (RFC 6455 §5.5.2), else the app-level `p:::`. Any inbound frame, data or control, proves the peer alive. After
/// more than `interval + timeout` of silence the peer is dead: the driver should *destroy* the channel,
/// not close it gracefully, so reconnect is not held up by a close handshake that will never finish
/// (grest-ts closes gracefully, and on a dead link ws can wait about 30 s for the close handshake). An inbound
/// `p:::` is always answered with `o:::`, heartbeat or not.
public struct Heartbeat: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var interval: Duration
        public var timeout: Duration
        /// Send RFC 6455 pings (preferred); `false` sends `p:::` for peers that cannot see protocol pings.
        public var usesProtocolPing: Bool

        public init(interval: Duration = .seconds(20), timeout: Duration = .seconds(10), usesProtocolPing: Bool = true) {
            self.interval = interval
            self.timeout = timeout
            self.usesProtocolPing = usesProtocolPing
        }
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Send an RFC 6455 ping frame.
        case sendProtocolPing
        /// Send `p:::`.
        case sendAppPing([UInt8])
        /// Send `o:::` (answering `p:::`).
        case sendAppPong([UInt8])
        /// The peer is silent: destroy the channel.
        case peerDead
    }

    public let configuration: Configuration
    private var lastInbound: ContinuousClock.Instant
    private var lastPing: ContinuousClock.Instant
    private var isDead = false

    /// Starts counting from `now` (the connection was just established).
    public init(configuration: Configuration = Configuration(), now: ContinuousClock.Instant) {
        self.configuration = configuration
        self.lastInbound = now
        self.lastPing = now
    }

    /// When the driver should next call ``tick(now:)``.
    public var nextTick: ContinuousClock.Instant {
        min(lastPing + configuration.interval, lastInbound + configuration.interval + configuration.timeout)
    }

    /// Any inbound frame (text, binary, RFC 6455 ping or pong). Returns `.sendAppPong` for `p`.
    public mutating func frameReceived(kind: SocketFrame.Kind?, now: ContinuousClock.Instant) -> Action {
        lastInbound = max(lastInbound, now)
        return kind == .ping ? .sendAppPong(SocketFrameCodec.pong) : .none
    }

    /// The driver's timer fired.
    public mutating func tick(now: ContinuousClock.Instant) -> Action {
        guard !isDead else { return .none }
        if now - lastInbound > configuration.interval + configuration.timeout {
            isDead = true
            return .peerDead
        }
        guard now - lastPing >= configuration.interval else { return .none }
        lastPing = now
        return configuration.usesProtocolPing ? .sendProtocolPing : .sendAppPing(SocketFrameCodec.ping)
    }
}
