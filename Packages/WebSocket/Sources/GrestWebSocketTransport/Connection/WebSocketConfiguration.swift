public import NIOCore

/// Limits, timeouts and extensions of one WebSocket endpoint, shared by server and client.
///
/// Every limit is on by default; see the package README for the table.
///
/// ```swift
/// var configuration = WebSocketConfiguration()
/// configuration.maxMessageSize = 1 << 20
/// configuration.compression = PerMessageDeflate()   // from WebSocketCompression
/// ```
public struct WebSocketConfiguration: Sendable {
    /// Largest inbound frame payload; bigger frames close with 1009 before their payload is buffered.
    /// NIO's decoder holds one whole frame, so this also caps per-frame memory. At most `UInt32.max`.
    public var maxFrameSize: Int = 16 << 20
    /// Largest inbound message after reassembly and decompression; bigger messages close with 1009.
    public var maxMessageSize: Int = 16 << 20
    /// Largest accepted inflated/compressed ratio of one message once it passes ``decompressionRatioFloor``;
    /// beyond it the message closes with 1009. `nil` disables the ratio check (the size limit still holds).
    public var maxDecompressionRatio: Int? = 200
    /// Inflated size under which the ratio check does not apply (small, highly repetitive messages are normal).
    public var decompressionRatioFloor: Int = 1 << 20
    /// How long to wait for the peer's close frame (and, on a client, for the server to drop TCP) before
    /// closing the socket anyway.
    public var closeTimeout: TimeAmount = .seconds(10)
    /// Automatic ping with a dead-peer timeout; `nil` sends no pings (pings from the peer are always answered).
    public var autoPing: AutoPing? = nil
    /// Inbound messages buffered ahead of the reader before the transport stops reading the socket.
    public var inboundBufferLimit: Int = 8
    /// Outbound backpressure: the socket's write-buffer watermarks and the queue bound behind them.
    public var outbound: Outbound = Outbound()
    /// Per-message compression to offer (client) or accept (server); `nil` negotiates no extension.
    public var compression: (any WebSocketCompressionExtension)? = nil

    public init() {}

    /// Sends a ping every `interval`; closes the connection when nothing arrives within `timeout` of a ping.
    public struct AutoPing: Sendable {
        public var interval: TimeAmount
        public var timeout: TimeAmount

        public init(interval: TimeAmount = .seconds(30), timeout: TimeAmount = .seconds(30)) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    /// Outbound backpressure and the slow-consumer policy.
    ///
    /// `send` hands a message to the socket while it is writable (the kernel and NIO buffer stay under
    /// `highWatermark`). Once it is not, messages wait in a FIFO queue and their senders suspend until the socket
    /// drains below `lowWatermark` and the message is written. The queue holds at most `maxQueuedBytes`; a `send`
    /// that would exceed it throws ``WebSocketError/outboundQueueFull`` at once and the connection stays open, so a
    /// slow consumer costs bounded memory and the application decides whether to drop, retry or close.
    /// A consumer that stops reading altogether is caught by ``AutoPing`` (its pongs stop) or by ``closeTimeout``.
    public struct Outbound: Sendable {
        public var lowWatermark: Int = 256 << 10
        public var highWatermark: Int = 1 << 20
        public var maxQueuedBytes: Int = 16 << 20

        public init() {}
    }
}
