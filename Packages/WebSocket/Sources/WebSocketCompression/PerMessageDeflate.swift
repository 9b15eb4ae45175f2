import CGrestZlib
public import GrestWebSocketTransport
import NIOCore

/// permessage-deflate (RFC 7692) for ``GrestWebSocketTransport``, on system zlib.
///
/// ```swift
/// var configuration = WebSocketConfiguration()
/// configuration.compression = PerMessageDeflate(minimumSizeToCompress: 64)
/// let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:8080/", configuration: configuration)
/// ```
///
/// The same value configures both roles. Parameters named after the wire (`server_*`, `client_*`) keep their
/// RFC meaning whichever side this end plays.
public struct PerMessageDeflate: WebSocketCompressionExtension {
    static let extensionName = "permessage-deflate"

    /// zlib compression level, 0...9, or -1 for zlib's default (6).
    public var compressionLevel: Int32
    /// zlib memLevel, 1...9: memory for the compressor's internal state (default 8).
    public var memoryLevel: Int32
    /// Messages smaller than this are sent uncompressed (RSV1 clear). The default, 256 bytes, is Hummingbird's and
    /// swift-websocket's: below it deflate's block overhead and per-message CPU rarely pay off (node `ws` uses 1024).
    public var minimumSizeToCompress: Int
    /// Largest LZ77 window the server may compress with (8...15). A server uses it as its own limit; a client
    /// requests it with `server_max_window_bits` when below 15.
    public var serverMaxWindowBits: Int
    /// Largest LZ77 window the client may compress with (8...15). A server asks for it with `client_max_window_bits`
    /// when the client offered that parameter; a client offers it (bare when 15).
    public var clientMaxWindowBits: Int
    /// Whether the server resets its compressor per message. A server always announces it; a client requests it.
    public var serverNoContextTakeover: Bool
    /// Whether the client resets its compressor per message. A server requests it; a client commits to it in its
    /// offer (RFC 7692 §7.1.1.2).
    public var clientNoContextTakeover: Bool

    public init(
        compressionLevel: Int32 = -1,
        memoryLevel: Int32 = 8,
        minimumSizeToCompress: Int = 256,
        serverMaxWindowBits: Int = 15,
        clientMaxWindowBits: Int = 15,
        serverNoContextTakeover: Bool = false,
        clientNoContextTakeover: Bool = false
    ) {
        self.compressionLevel = compressionLevel
        self.memoryLevel = memoryLevel
        self.minimumSizeToCompress = minimumSizeToCompress
        self.serverMaxWindowBits = min(15, max(8, serverMaxWindowBits))
        self.clientMaxWindowBits = min(15, max(8, clientMaxWindowBits))
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
    }

    public var name: String { Self.extensionName }

    // MARK: Negotiation

    public func clientOffers() -> [WebSocketExtensionHeader] {
        [self.clientOffer().header]
    }

    /// The client's single offer.
    func clientOffer() -> PerMessageDeflateParameters {
        PerMessageDeflateParameters(
            serverNoContextTakeover: self.serverNoContextTakeover,
            clientNoContextTakeover: self.clientNoContextTakeover,
            serverMaxWindowBits: self.serverMaxWindowBits < 15 ? self.serverMaxWindowBits : nil,
            // Always offered: it tells the server it may limit our window (RFC 7692 §7.1.2.2).
            clientMaxWindowBits: .some(self.clientMaxWindowBits < 15 ? self.clientMaxWindowBits : nil)
        )
    }

    public func negotiateAsServer(offers: [WebSocketExtensionHeader]) -> WebSocketNegotiatedCompression? {
        // RFC 7692 §5: answer the first offer we can accept; invalid offers are declined, not fatal.
        for offer in offers {
            guard let parameters = try? PerMessageDeflateParameters(offer) else { continue }
            let response = self.serverResponse(to: parameters)
            return self.negotiated(response, isServer: true)
        }
        return nil
    }

    /// The server's answer to a valid offer. Every valid offer is acceptable: zlib can honour any window size
    /// (window bits 8 are compressed with 9, see ``PerMessageDeflateCodec``).
    func serverResponse(to offer: PerMessageDeflateParameters) -> PerMessageDeflateParameters {
        var response = PerMessageDeflateParameters()
        // RFC 7692 §7.1.1.1: the client may ask us not to take over context; we may also decide so ourselves.
        response.serverNoContextTakeover = offer.serverNoContextTakeover || self.serverNoContextTakeover
        // RFC 7692 §7.1.1.2: a client offering client_no_context_takeover resets anyway; echoing it lets our
        // inflater reset too.
        response.clientNoContextTakeover = offer.clientNoContextTakeover || self.clientNoContextTakeover
        // RFC 7692 §7.1.2.1: answer with a value no larger than requested.
        let serverBits = min(offer.serverMaxWindowBits ?? 15, self.serverMaxWindowBits)
        if offer.serverMaxWindowBits != nil || serverBits < 15 { response.serverMaxWindowBits = serverBits }
        // RFC 7692 §7.1.2.2: only when offered, with a value no larger than the offered one.
        if let offered = offer.clientMaxWindowBits {
            let clientBits = min(offered ?? 15, self.clientMaxWindowBits)
            if offered != nil || clientBits < 15 { response.clientMaxWindowBits = .some(clientBits) }
        }
        return response
    }

    public func negotiateAsClient(response: WebSocketExtensionHeader) throws -> WebSocketNegotiatedCompression {
        let parameters = try PerMessageDeflateParameters(response)
        try self.validate(response: parameters)
        return self.negotiated(parameters, isServer: false)
    }

    /// RFC 7692 §7.1: what a client must reject in a response to ``clientOffer()``.
    func validate(response: PerMessageDeflateParameters) throws(PerMessageDeflateParameters.Invalid) {
        let offer = self.clientOffer()
        // §7.1.2.1: no larger than what we asked for.
        if let requested = offer.serverMaxWindowBits, let answered = response.serverMaxWindowBits, answered > requested {
            throw .invalidValue("server_max_window_bits")
        }
        // §7.1.1.1: we asked for server_no_context_takeover, the server must agree.
        if offer.serverNoContextTakeover && !response.serverNoContextTakeover {
            throw .invalidValue("server_no_context_takeover")
        }
        // §7.1.2.2: a response carries client_max_window_bits only with a value, and only if offered.
        if let answered = response.clientMaxWindowBits {
            guard let bits = answered, offer.clientMaxWindowBits != nil else { throw .invalidValue("client_max_window_bits") }
            if let offered = offer.clientMaxWindowBits ?? nil, bits > offered { throw .invalidValue("client_max_window_bits") }
        }
    }

    private func negotiated(_ response: PerMessageDeflateParameters, isServer: Bool) -> WebSocketNegotiatedCompression {
        let settings = PerMessageDeflateCodec.Settings(
            agreed: response,
            isServer: isServer,
            configuration: self
        )
        return WebSocketNegotiatedCompression(response: response.header) { _ in PerMessageDeflateCodec(settings) }
    }
}

/// One connection's permessage-deflate codec: a deflater for what this end sends, an inflater for what it receives.
final class PerMessageDeflateCodec: WebSocketMessageCodec {
    struct Settings: Sendable {
        var level: Int32
        var memoryLevel: Int32
        var minimumSizeToCompress: Int
        /// The window this end compresses with, 9...15.
        var sendWindowBits: Int32
        var sendNoContextTakeover: Bool
        var receiveNoContextTakeover: Bool

        init(agreed: PerMessageDeflateParameters, isServer: Bool, configuration: PerMessageDeflate) {
            self.level = configuration.compressionLevel
            self.memoryLevel = configuration.memoryLevel
            self.minimumSizeToCompress = configuration.minimumSizeToCompress
            let ownLimit = isServer ? configuration.serverMaxWindowBits : configuration.clientMaxWindowBits
            let agreedLimit = (isServer ? agreed.serverMaxWindowBits : (agreed.clientMaxWindowBits ?? nil)) ?? 15
            // zlib's raw deflate has no 8-bit window. With window bits 9 its longest match distance is
            // 512 - MIN_LOOKAHEAD (262) = 250 bytes, within the 256-byte window a peer limited to 8 inflates with.
            self.sendWindowBits = Int32(max(9, min(ownLimit, agreedLimit)))
            if isServer {
                self.sendNoContextTakeover = agreed.serverNoContextTakeover
                self.receiveNoContextTakeover = agreed.clientNoContextTakeover
            } else {
                // RFC 7692 §7.1.1.2: offering client_no_context_takeover commits the client to it.
                self.sendNoContextTakeover = agreed.clientNoContextTakeover || configuration.clientNoContextTakeover
                self.receiveNoContextTakeover = agreed.serverNoContextTakeover
            }
        }
    }

    // Internal, not private: the tests read the negotiated settings back from both ends of a real connection.
    let settings: Settings
    private let deflater: ZlibDeflater
    // Inflating with the largest window accepts any peer window (RFC 7692 §7.1.2: LZ77 distances never exceed
    // the sender's window), so the inflater does not depend on negotiated window bits.
    private let inflater = ZlibInflater(windowBits: 15)

    init(_ settings: Settings) {
        self.settings = settings
        self.deflater = ZlibDeflater(level: settings.level, windowBits: settings.sendWindowBits, memoryLevel: settings.memoryLevel)
    }

    func compress(_ message: ByteBuffer, allocator: ByteBufferAllocator) throws -> ByteBuffer? {
        guard message.readableBytes >= self.settings.minimumSizeToCompress else { return nil }
        var output = try self.deflater.compress(message, allocator: allocator)
        if self.settings.sendNoContextTakeover { self.deflater.reset() }
        // RFC 7692 §7.2.1: remove the 4-octet 00 00 ff ff tail of the sync flush.
        if output.readableBytes >= 4, output.getInteger(at: output.writerIndex - 4, as: UInt32.self) == 0x0000_FFFF {
            output.moveWriterIndex(to: output.writerIndex - 4)
        }
        // RFC 7692 §7.2.3.6: an empty message compresses to a single 0x00 octet.
        if output.readableBytes == 0 { output.writeInteger(UInt8(0)) }
        return output
    }

    func decompress(_ payload: ByteBuffer, isFinal: Bool, limit: Int, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        do {
            let output = try self.inflater.inflate(payload, appendTail: isFinal, limit: limit, allocator: allocator)
            // RFC 7692 §7.2.2: the peer starts each message from an empty window.
            if isFinal && self.settings.receiveNoContextTakeover { self.inflater.reset() }
            return output
        } catch .limitExceeded {
            throw WebSocketDecompressionError.limitExceeded
        } catch .corrupt(let message) {
            throw WebSocketDecompressionError.corruptData(message)
        }
    }
}

@available(*, unavailable)
extension PerMessageDeflateCodec: Sendable {}
