import GrestContext
import GrestMiddleware
import GrestSchema
import GrestWebSocketTransport
import NIOCore
import Synchronization

/// One socket whose grest handshake succeeded (`k` arrived) and that nothing serves yet.
///
/// Not `Sendable`: it holds the socket's single-consumer inbound iterator, which moves (`sending`) from the task
/// that dialled to the one that serves.
struct HandshakenSocket {
    let transport: WebSocketConnection
    var inbound: WebSocketInboundStream.AsyncIterator
    /// The connection's context (`ws-client`, child of the context `connect()` ran in); handlers inherit it.
    let context: Context
}

/// Dials one connection of a typed client, runs the client side of the handshake, and serves it until it ends.
/// It knows nothing of reconnecting or pooling: ``SocketClient``'s reconnect loop calls it once per attempt.
struct SocketConnectionDriver<Query: Sendable>: Sendable {
    let schema: WebSocketSchema<Query>
    let query: Query
    /// The URL dialled when there is no ``SocketClientConfiguration/originLookup``.
    let url: String
    let configuration: SocketClientConfiguration

    /// Every middleware's `updateRequest` on a fresh handshake request; the headers travel in `h`.
    func handshakeHeaders() async throws -> [String: String] {
        var request = OutboundRequest(transport: .webSocket, method: "GET", target: url)
        try await TransportMiddlewareChain.runClientSide(configuration.middleware + schema.middlewares, &request)
        var headers: [String: String] = [:]
        for header in request.headers { headers[header.name.lowercased()] = header.value }
        return headers
    }

    /// Dials and runs the handshake inside a new connection context (a child of `parent`). Cancelling the calling
    /// task aborts the socket, so the attempt ends at once.
    func open(parent: Context?) async -> sending Result<HandshakenSocket, SocketConnectError> {
        let context = Context(name: "ws-client", parent: parent)
        return await context.run {
            try? SocketConnectionInfo.key.set(SocketConnectionInfo(port: nil, path: url))
            return await dialAndHandshake(context)
        }
    }

    private func dialAndHandshake(_ context: Context) async -> sending Result<HandshakenSocket, SocketConnectError> {
        let headers: [String: String]
        do {
            headers = try await handshakeHeaders()
        } catch {
            return .failure(.handshakeRejected(ServiceError.fromUnknown(error)))
        }
        var dialURL = url
        if let lookup = configuration.originLookup {
            do {
                dialURL = SocketClient<Query>.buildURL(try await lookup(), path: schema.path, query: schema.encodeQuery(query))
            } catch {
                return .failure(.transport("Service discovery failed for WebSocket API \(schema.name): \(error)"))
            }
        }
        let transport: WebSocketConnection
        do {
            transport = try await WebSocketClient.connect(to: dialURL, configuration: configuration.peer.transportConfiguration(configuration.transport))
        } catch {
            return .failure(.transport(String(describing: error)))
        }
        return await withTaskCancellationHandler {
            await handshake(on: transport, headers: headers, context: context)
        } onCancel: {
            transport.abort()
        }
    }

    private func handshake(on transport: WebSocketConnection, headers: [String: String], context: Context) async -> sending Result<
        HandshakenSocket, SocketConnectError
    > {
        var handshake = ClientHandshake(timeout: configuration.handshakeTimeout)
        guard case .send(let hello) = handshake.start(headers: headers, now: .now) else { return .failure(.transport("handshake")) }
        let timedOut = Atomic<Bool>(false)
        let deadline = transport.channel.eventLoop.scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            timedOut.store(true, ordering: .relaxed)
            transport.abort()
        }
        try? await transport.send(text: String(decoding: hello, as: UTF8.self))

        var inbound = transport.inbound.makeAsyncIterator()
        let codec = SocketFrameCodec(limits: configuration.peer.frameLimits)
        var outcome: ClientHandshake.Action = .none
        while let message = await inbound.next() {
            guard case .text(let text) = message, case .frame(let frame) = codec.decode(text) else { continue }
            outcome = handshake.frameReceived(frame)
            if case .established = outcome { break }
            if case .failed = outcome { break }
        }
        deadline.cancel()
        switch outcome {
        case .established:
            // The deadline can fire just as `k` arrives; it aborted the socket, so this attempt timed out after all.
            if timedOut.load(ordering: .relaxed) { return .failure(.handshakeTimeout) }
            return .success(HandshakenSocket(transport: transport, inbound: inbound, context: context))
        case .failed(let error):
            transport.abort()
            return .failure(error)
        default:
            let info = await transport.closeInfo
            if timedOut.load(ordering: .relaxed) { return .failure(.handshakeTimeout) }
            if case .failed(let error) = handshake.connectionClosed(code: info.code.rawValue, reason: info.reason) { return .failure(error) }
            return .failure(.transport("socket closed during handshake"))
        }
    }

    /// The engine for `socket`, with `table` as its handlers. Cheap and without I/O, so it can be made under the
    /// client's lock: a handler registered concurrently lands in `table` or on the peer, never in neither.
    func makePeer(transport: WebSocketConnection, context: Context, table: SocketHandlerTable) -> SocketPeer {
        SocketPeer(
            transport: transport, contract: schema.contract, receiving: .serverToClient, table: table, gate: ConnectionScopes(scopes: nil),
            context: context, metrics: nil, configuration: configuration.peer)
    }

    /// Serves `socket` with `peer` until the socket closes (handlers run as child tasks of the caller).
    func serve(_ socket: inout HandshakenSocket, with peer: SocketPeer) async {
        await socket.context.run { await peer.run(&socket.inbound) }
    }
}
