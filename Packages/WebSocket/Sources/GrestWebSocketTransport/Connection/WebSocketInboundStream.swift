import NIOCore

/// The inbound messages of one connection, in order; ends when the connection closes.
///
/// Single consumer. While the reader lags more than ``WebSocketConfiguration/inboundBufferLimit`` messages behind,
/// the transport stops reading the socket, so TCP pushes back on the peer. Abandoning the iteration keeps the
/// connection alive (pings are still answered) and discards later messages.
public struct WebSocketInboundStream: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage
    public typealias Failure = Never

    let producer: WebSocketChannelHandler.Producer

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.producer.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: WebSocketChannelHandler.Producer.AsyncIterator

        public mutating func next() async -> WebSocketMessage? {
            await self.base.next()
        }
    }
}
