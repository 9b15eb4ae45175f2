public import NIOCore

/// A per-message compression extension (RFC 7692 framework) that the transport can negotiate and run.
///
/// The transport owns framing, limits and the RSV1 bit; an extension only negotiates parameters and turns whole
/// outbound messages and inbound fragments into bytes. `WebSocketCompression.PerMessageDeflate` is the implementation;
/// keeping the protocol here keeps zlib out of this module.
public protocol WebSocketCompressionExtension: Sendable {
    /// The extension token, e.g. `permessage-deflate`.
    var name: String { get }

    /// The client's offers, most preferred first (sent in `Sec-WebSocket-Extensions`).
    func clientOffers() -> [WebSocketExtensionHeader]

    /// Server side: answers the first acceptable offer among `offers` (all carry this extension's name),
    /// or returns `nil` to decline them all (RFC 7692 §5: the server then runs without compression).
    func negotiateAsServer(offers: [WebSocketExtensionHeader]) -> WebSocketNegotiatedCompression?

    /// Client side: validates the server's response to ``clientOffers()``.
    ///
    /// - Throws: when the response is one the client cannot accept; the client then fails the connection
    ///   (RFC 7692 §5, §7.1).
    func negotiateAsClient(response: WebSocketExtensionHeader) throws -> WebSocketNegotiatedCompression
}

/// The outcome of a successful negotiation: the agreed header and a factory for the per-connection codec.
public struct WebSocketNegotiatedCompression: Sendable {
    /// The negotiated parameters as the server's response element (what the server sends back in the 101).
    public var response: WebSocketExtensionHeader
    /// Makes the codec for one connection. Called once, on the connection's event loop.
    public var makeCodec: @Sendable (_ isServer: Bool) -> any WebSocketMessageCodec

    public init(response: WebSocketExtensionHeader, makeCodec: @escaping @Sendable (_ isServer: Bool) -> any WebSocketMessageCodec) {
        self.response = response
        self.makeCodec = makeCodec
    }
}

/// Compresses whole outbound messages and inflates inbound fragments for one connection.
///
/// Not `Sendable`: one instance lives on its connection's event loop and sees messages in wire order.
public protocol WebSocketMessageCodec: AnyObject {
    /// Compresses one whole message, or returns `nil` to send it uncompressed (e.g. below a minimum size).
    func compress(_ message: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer?

    /// Inflates one frame's payload of a compressed message.
    ///
    /// - Parameters:
    ///   - payload: the frame's application data.
    ///   - isFinal: whether this is the message's last frame (the codec restores the stripped tail then).
    ///   - limit: the most bytes the call may produce; a message that would inflate further is a zip bomb.
    /// - Throws: ``WebSocketDecompressionError``.
    func decompress(_ payload: ByteBuffer, isFinal: Bool, limit: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer
}

/// Why an inbound compressed message could not be inflated.
public enum WebSocketDecompressionError: Error, Hashable, Sendable {
    /// Inflating would exceed the message-size or ratio limit: close 1009.
    case limitExceeded
    /// The compressed data is corrupt: close 1007.
    case corruptData(String)
}
