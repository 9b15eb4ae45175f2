public import NIOCore
public import NIOHTTP1
public import NIOPosix
import NIOWebSocket

/// Opens client WebSocket connections (`ws://`) over NIO.
///
/// ```swift
/// let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:8080/echo?room=1", headers: ["Authorization": "Bearer t"])
/// try await connection.send(text: "hello")
/// for await message in connection.inbound { print(message); break }
/// try await connection.close()
/// ```
public enum WebSocketClient {
    private enum UpgradeResult: Sendable {
        case websocket(WebSocketConnection)
        case notUpgraded
    }

    /// Connects, performs the upgrade and returns the open connection. The caller closes it.
    ///
    /// - Parameters:
    ///   - url: a `ws://host[:port]/path[?query]` URL.
    ///   - headers: extra upgrade-request headers (cookies, authorisation, …).
    ///   - configuration: limits and the compression to offer.
    /// - Throws: ``WebSocketClientError``, or the connect error.
    public static func connect(
        to url: String,
        headers: HTTPHeaders = [:],
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> WebSocketConnection {
        let url = try WebSocketURL(url)
        var requestHeaders = HTTPHeaders()
        requestHeaders.add(name: "Host", value: url.hostHeader)
        requestHeaders.add(contentsOf: headers)
        if let compression = configuration.compression {
            let offers = compression.clientOffers()
            if !offers.isEmpty {
                requestHeaders.add(name: "Sec-WebSocket-Extensions", value: offers.map(\.description).joined(separator: ", "))
            }
        }
        let requestHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target, headers: requestHeaders)

        let (channel, upgrade) = try await ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: url.host, port: url.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(
                        maxFrameSize: configuration.maxFrameSize,
                        enableAutomaticErrorHandling: false,
                        upgradePipelineHandler: { channel, response in
                            channel.eventLoop.makeCompletedFuture {
                                let compression = try self.acceptExtensions(response.headers, configuration: configuration)
                                let info = WebSocketConnectionInfo(
                                    isServer: false,
                                    remoteAddress: channel.remoteAddress,
                                    localAddress: channel.localAddress,
                                    uri: requestHead.uri,
                                    requestHeaders: requestHead.headers,
                                    responseHeaders: response.headers,
                                    extensions: compression.map { [$0.response] } ?? []
                                )
                                let connection = try WebSocketConnection.install(
                                    on: channel,
                                    role: .client,
                                    configuration: configuration,
                                    compression: compression,
                                    info: info
                                )
                                return UpgradeResult.websocket(connection)
                            }
                        }
                    )
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: requestHead,
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.eventLoop.makeSucceededFuture(UpgradeResult.notUpgraded)
                            }
                        )
                    )
                    // Frames may follow the 101 in the same read; they belong to the WebSocket decoder.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    let upgrade = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                    return (channel, upgrade)
                }
            }

        let result: UpgradeResult
        do {
            result = try await upgrade.get()
        } catch {
            try? await channel.close()
            throw error is WebSocketClientError ? error : WebSocketClientError.upgradeRejected
        }
        switch result {
        case .websocket(let connection):
            return connection
        case .notUpgraded:
            try? await channel.close()
            throw WebSocketClientError.upgradeRejected
        }
    }

    /// RFC 6455 §9.1 / RFC 7692 §5: the server may only answer with what was offered; anything else fails the
    /// connection.
    static func acceptExtensions(_ headers: HTTPHeaders, configuration: WebSocketConfiguration) throws -> WebSocketNegotiatedCompression? {
        let values = headers["sec-websocket-extensions"]
        guard !values.isEmpty else { return nil }
        guard let elements = WebSocketExtensionHeader.parse(values) else {
            throw WebSocketClientError.invalidExtensionResponse(values.joined(separator: ", "))
        }
        if elements.isEmpty { return nil }
        guard elements.count == 1, let compression = configuration.compression, elements[0].name == compression.name else {
            throw WebSocketClientError.invalidExtensionResponse(values.joined(separator: ", "))
        }
        return try compression.negotiateAsClient(response: elements[0])
    }
}
