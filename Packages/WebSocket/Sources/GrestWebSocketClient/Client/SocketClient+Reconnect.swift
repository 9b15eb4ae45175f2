import GrestContext
import GrestWebSocketTransport

/// Marks the task tree of a client's reconnect loop, so a handler that stops the client does not wait for itself.
enum SocketClientLoop {
    @TaskLocal static var owner: ObjectIdentifier?
}

extension SocketClient {
    typealias Machine = ReconnectMachine<SystemRandomNumberGenerator>

    /// The reconnect loop: serves `first`, then performs ``ReconnectMachine``'s actions (wait, dial again, stop)
    /// until a new socket is established, and so on until the client stops. One per client, in its loop task.
    func run(_ first: consuming HandshakenSocket, _ firstPeer: SocketPeer) async {
        var socket = first
        var peer = firstPeer
        while true {
            await driver.serve(&socket, with: peer)
            var action = state.withLock { state -> Machine.Action in
                // `disconnect()`/`close()` took the peer: they report the end.
                guard state.peer === peer else { return .none }
                state.peer = nil
                return state.machine.connectionDropped()
            }
            switch action {
            case .scheduleRetry: await finish(disconnect: .drop, close: nil)
            case .stop(let reason): return await finish(disconnect: .drop, close: Self.reason(reason))
            default: return
            }
            reconnecting: while true {
                switch action {
                case .scheduleRetry(let delay, _):
                    // Cancelled by `disconnect()`/`close()`, which have stopped the machine and report the end.
                    do { try await Task.sleep(for: delay) } catch { return }
                    action = state.withLock { $0.machine.retryTimerFired() }
                case .reconnect:
                    switch await open() {
                    case .success(let (next, nextPeer)):
                        (socket, peer) = (next, nextPeer)
                        notifyConnected()
                        break reconnecting
                    case .failure(let error):
                        action = state.withLock { $0.machine.connectFailed(error) }
                        // `.none`: the client was stopped during the attempt; its failure is no error to report.
                        if action != .none { notifyError(error.serviceError) }
                    }
                case .stop(let reason):
                    return await finish(disconnect: nil, close: Self.reason(reason))
                case .none, .connect:
                    return
                }
            }
        }
    }

    /// Dials and handshakes; on success makes the socket's peer with this client's handlers and installs it, unless
    /// the client stopped meanwhile (then the new socket is closed on arrival).
    func open() async -> sending Result<(HandshakenSocket, SocketPeer), SocketConnectError> {
        let context = state.withLock { $0.context }
        let socket: HandshakenSocket
        switch await driver.open(parent: context) {
        case .success(let opened): socket = opened
        case .failure(let error): return .failure(error)
        }
        let (transport, connectionContext, driver) = (socket.transport, socket.context, self.driver)
        let peer = state.withLock { state -> SocketPeer? in
            guard !state.isStopped else { return nil }
            let peer = driver.makePeer(transport: transport, context: connectionContext, table: state.handlers)
            state.peer = peer
            _ = state.machine.connectSucceeded()
            return peer
        }
        guard let peer else {
            _ = try? await transport.close()
            return .failure(.closedDuringHandshake(code: 1000, reason: "Client closed"))
        }
        return .success((socket, peer))
    }
}
