public import NIOCore
public import NIOHTTP1

/// A protocol upgrade (WebSocket) served on a path of an ``HTTPServer``; registered with
/// ``HTTPServer/registerUpgrade(path:_:)`` by the WebSocket package.
public struct HTTPUpgradeRoute: Sendable {
    /// On the channel's event loop: accept (extra response headers, e.g. `Sec-WebSocket-Extensions`) or
    /// refuse (`nil` → 400). Decide promptly (the WebSocket package answers synchronously): NIO's upgrade handler
    /// buffers whatever the client sends until the decision, and authentication belongs after the upgrade (the
    /// typed socket handshake), not here.
    public var shouldUpgrade: @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>
    /// After the 101: install the protocol handlers on the channel (frame codec already in place).
    public var upgrade: @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>
    /// The largest frame the decoder accepts on this route.
    public var maxFrameSize: Int

    public init(
        maxFrameSize: Int = 1 << 14,
        shouldUpgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<HTTPHeaders?>,
        upgrade: @escaping @Sendable (any Channel, HTTPRequestHead) -> EventLoopFuture<Void>
    ) {
        self.maxFrameSize = maxFrameSize
        self.shouldUpgrade = shouldUpgrade
        self.upgrade = upgrade
    }
}
