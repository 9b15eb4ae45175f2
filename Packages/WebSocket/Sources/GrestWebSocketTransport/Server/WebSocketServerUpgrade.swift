public import NIOCore
public import NIOHTTP1
public import NIOWebSocket

/// The server side of the WebSocket upgrade, usable from any NIO HTTP server.
///
/// An HTTP server (GrestHTTP's dispatcher, or ``WebSocketServer``) calls ``negotiate(_:configuration:)`` on an
/// upgrade request, writes a 101 with the returned headers (or lets `NIOWebSocketServerUpgrader` do it), removes
/// its HTTP handlers and calls ``configure(channel:request:negotiation:configuration:addFrameCodec:)``.
///
/// ```swift
/// let negotiation = try WebSocketServerUpgrade.negotiate(head, configuration: configuration)
/// // … write `HTTP/1.1 101` with negotiation.responseHeaders, remove the HTTP handlers …
/// let connection = try await WebSocketServerUpgrade.configure(
///     channel: channel, request: head, negotiation: negotiation, configuration: configuration).get()
/// ```
public enum WebSocketServerUpgrade {
    /// A valid upgrade request's answer.
    public struct Negotiation: Sendable {
        /// The 101 response's headers: `Upgrade`, `Connection`, `Sec-WebSocket-Accept` and, when an extension was
        /// negotiated, `Sec-WebSocket-Extensions`.
        public var responseHeaders: HTTPHeaders
        /// The negotiated compression, if any.
        public var compression: WebSocketNegotiatedCompression?
    }

    /// Why an upgrade request was refused.
    public enum Rejection: Error, Hashable, Sendable {
        case methodNotGet
        case missingUpgradeHeader
        case missingConnectionUpgrade
        case invalidKey
        /// Only version 13 exists; answer 426 with `Sec-WebSocket-Version: 13` (RFC 6455 §4.4).
        case unsupportedVersion

        /// The status to answer with.
        public var status: HTTPResponseStatus {
            self == .unsupportedVersion ? .upgradeRequired : .badRequest
        }
    }

    /// Validates an upgrade request (RFC 6455 §4.2.1) and negotiates extensions (RFC 7692 §5).
    public static func negotiate(_ request: HTTPRequestHead, configuration: WebSocketConfiguration) throws(Rejection) -> Negotiation {
        guard request.method == .GET else { throw .methodNotGet }
        guard request.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) else {
            throw .missingUpgradeHeader
        }
        guard request.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            throw .missingConnectionUpgrade
        }
        let keys = request.headers["sec-websocket-key"]
        guard keys.count == 1, WebSocketAccept.isValidKey(keys[0]) else { throw .invalidKey }
        guard request.headers["sec-websocket-version"] == ["13"] else { throw .unsupportedVersion }

        var headers = HTTPHeaders()
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Sec-WebSocket-Accept", value: WebSocketAccept.acceptValue(forKey: keys[0]))
        let compression = self.negotiateExtensions(request.headers, configuration: configuration)
        if let compression {
            headers.add(name: "Sec-WebSocket-Extensions", value: compression.response.description)
        }
        return Negotiation(responseHeaders: headers, compression: compression)
    }

    /// Picks the first acceptable offer of the configured compression extension; ignores unknown extensions and
    /// a malformed header (the connection then simply runs uncompressed).
    static func negotiateExtensions(_ headers: HTTPHeaders, configuration: WebSocketConfiguration) -> WebSocketNegotiatedCompression? {
        guard let compression = configuration.compression,
            let offers = WebSocketExtensionHeader.parse(headers["sec-websocket-extensions"])
        else { return nil }
        let relevant = offers.filter { $0.name == compression.name }
        guard !relevant.isEmpty else { return nil }
        return compression.negotiateAsServer(offers: relevant)
    }

    /// Installs the WebSocket handlers on an upgraded channel and returns the connection.
    ///
    /// Call after the 101 went out and the HTTP handlers are gone.
    /// - Parameter addFrameCodec: `false` when NIO's `WebSocketFrameEncoder`/`Decoder` are already in the pipeline
    ///   (`NIOWebSocketServerUpgrader` adds them); then its `maxFrameSize` must be `configuration.maxFrameSize`.
    public static func configure(
        channel: any Channel,
        request: HTTPRequestHead,
        negotiation: Negotiation,
        configuration: WebSocketConfiguration,
        addFrameCodec: Bool = true
    ) -> EventLoopFuture<WebSocketConnection> {
        channel.eventLoop.submit {
            if addFrameCodec {
                try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: configuration.maxFrameSize))
                )
            }
            let info = WebSocketConnectionInfo(
                isServer: true,
                remoteAddress: channel.remoteAddress,
                localAddress: channel.localAddress,
                uri: request.uri,
                requestHeaders: request.headers,
                responseHeaders: negotiation.responseHeaders,
                extensions: negotiation.compression.map { [$0.response] } ?? []
            )
            return try WebSocketConnection.install(
                on: channel,
                role: .server,
                configuration: configuration,
                compression: negotiation.compression,
                info: info
            )
        }
    }

    /// A typed NIO upgrader that negotiates like ``negotiate(_:configuration:)`` and yields the connection, for
    /// `configureUpgradableHTTPServerPipeline`.
    ///
    /// - Parameter shouldUpgrade: routing and authorisation: return extra response headers to accept the request
    ///   (e.g. `Set-Cookie`), or `nil` to refuse it.
    public static func typedUpgrader(
        configuration: WebSocketConfiguration,
        shouldUpgrade: @escaping @Sendable (HTTPRequestHead) -> HTTPHeaders? = { _ in [:] }
    ) -> NIOTypedWebSocketServerUpgrader<WebSocketConnection> {
        NIOTypedWebSocketServerUpgrader(
            maxFrameSize: configuration.maxFrameSize,
            enableAutomaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    guard var extra = shouldUpgrade(head) else { return nil }
                    // NIO adds Upgrade, Connection and Sec-WebSocket-Accept itself.
                    let negotiation = try self.negotiate(head, configuration: configuration)
                    for (name, value) in negotiation.responseHeaders where name.lowercased() == "sec-websocket-extensions" {
                        extra.add(name: name, value: value)
                    }
                    return extra
                }
            },
            upgradePipelineHandler: { channel, head in
                // Negotiation is a pure function of the request: recomputing it here gives the same answer.
                let negotiation: Negotiation
                do {
                    negotiation = try self.negotiate(head, configuration: configuration)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return self.configure(
                    channel: channel,
                    request: head,
                    negotiation: negotiation,
                    configuration: configuration,
                    addFrameCodec: false
                )
            }
        )
    }
}

extension WebSocketConnection {
    /// Adds the connection handler behind NIO's frame codec. Must run on the channel's event loop.
    static func install(
        on channel: any Channel,
        role: WebSocketStateMachine.Role,
        configuration: WebSocketConfiguration,
        compression: WebSocketNegotiatedCompression?,
        info: WebSocketConnectionInfo
    ) throws -> WebSocketConnection {
        channel.eventLoop.preconditionInEventLoop()
        let closed = channel.eventLoop.makePromise(of: WebSocketCloseInfo.self)
        // What may be on its way to the loop without waiting: never more than the queue could hold.
        let gate = OutboundGate(maxInFlightBytes: min(configuration.outbound.lowWatermark, configuration.outbound.maxQueuedBytes))
        let handler = WebSocketChannelHandler(
            role: role,
            configuration: configuration,
            codec: compression?.makeCodec(role == .server),
            closed: closed,
            gate: gate
        )
        let loopBound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        let high = max(1, configuration.inboundBufferLimit)
        let sequence = WebSocketChannelHandler.Producer.makeSequence(
            elementType: WebSocketMessage.self,
            backPressureStrategy: .init(lowWatermark: max(0, high / 2), highWatermark: high),
            finishOnDeinit: false,
            delegate: WebSocketChannelHandler.InboundDelegate(eventLoop: channel.eventLoop, handler: loopBound)
        )
        handler.attach(source: sequence.source)
        let watermark = ChannelOptions.Types.WriteBufferWaterMark(low: configuration.outbound.lowWatermark, high: configuration.outbound.highWatermark)
        try channel.syncOptions?.setOption(ChannelOptions.writeBufferWaterMark, value: watermark)
        try channel.pipeline.syncOperations.addHandler(handler)
        return WebSocketConnection(
            info: info,
            inbound: WebSocketInboundStream(producer: sequence.sequence),
            channel: channel,
            handler: loopBound,
            gate: gate
        )
    }
}
