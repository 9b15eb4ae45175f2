import GrestSchema
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

@Suite("Server handshake", .timeLimit(.minutes(2)))
struct ServerHandshakeTests {
    @Test func happyPathRegistersRoutesBeforeK() throws {
        var machine = ServerHandshake(connectPermission: nil)
        guard case .none = machine.queryChecked(isValid: true, now: t0) else { throw Failure() }
        #expect(machine.deadline == t0 + .seconds(5))
        guard case .runMiddleware(let headers) = machine.frameReceived(frame(#"h:::{"authorization":"Bearer abc","cookie":"spoof","n":1}"#))
        else { throw Failure() }
        // In-band cookie is ignored; only string values are headers.
        #expect(headers == ["authorization": "Bearer abc"])
        guard case .establish(let gate) = machine.middlewareFinished(.success(["chat:read"])) else { throw Failure() }
        #expect(gate.scopes == ["chat:read"])
        // A frame racing the setup is not answered before k (the client must wait for k).
        guard case .dropFrame(.request) = machine.frameReceived(frame("r:ChatApi.ping:1:")) else { throw Failure() }
        guard case .accept(let k) = machine.routesRegistered() else { throw Failure() }
        #expect(text(k) == "k:::null")
        #expect(machine.state == .established)
        #expect(machine.deadline == nil)
    }

    @Test func emptyHandshakeMeansNoHeaders() throws {
        var machine = ServerHandshake()
        _ = machine.queryChecked(isValid: true, now: t0)
        guard case .runMiddleware(let headers) = machine.frameReceived(frame("h:::")) else { throw Failure() }
        #expect(headers.isEmpty)
    }

    @Test func badQueryClosesWith4000AndNoX() throws {
        var machine = ServerHandshake()
        guard case .close(let code, let reason) = machine.queryChecked(isValid: false, now: t0) else { throw Failure() }
        #expect(code == 4000)
        #expect(reason == "Invalid query parameters")
        guard case .none = machine.frameReceived(frame("h:::{}")) else { throw Failure() }
    }

    @Test func framesBeforeHandshakeAreDropped() throws {
        var machine = ServerHandshake()
        _ = machine.queryChecked(isValid: true, now: t0)
        guard case .dropFrame(.message) = machine.frameReceived(frame("m:ChatApi.ping::")) else { throw Failure() }
        guard case .dropFrame(.request) = machine.frameReceived(frame("r:ChatApi.ping:1:")) else { throw Failure() }
        // A second h while the first is being processed is dropped too.
        _ = machine.frameReceived(frame("h:::{}"))
        guard case .dropFrame(.handshake) = machine.frameReceived(frame("h:::{}")) else { throw Failure() }
    }

    @Test func middlewareRefusalSendsXThen4001() throws {
        var machine = ServerHandshake()
        _ = machine.queryChecked(isValid: true, now: t0)
        _ = machine.frameReceived(frame("h:::{}"))
        guard case .reject(let x, let error, let code, let reason) = machine.middlewareFinished(.failure(NOT_AUTHORIZED(displayMessage: "Invalid token")))
        else { throw Failure() }
        #expect(code == 4001)
        #expect(reason == "Handshake failed")
        #expect(error?.type == "NOT_AUTHORIZED")
        let decoded = frame(text(x))
        #expect(decoded.kind == .handshakeRejected)
        #expect(decoded.data().value?["type"] == "NOT_AUTHORIZED")
        #expect(decoded.data().value?["statusCode"] == 401)
        #expect(decoded.data().value?["context"]?["displayMessage"] == "Invalid token")
        #expect(machine.state == .failed)
    }

    @Test("connectPermission", arguments: [
        (Set<String>?.none, "NOT_AUTHORIZED"), (Set<String>?.some(["other"]), "FORBIDDEN"), (Set<String>?.some(["chat:use"]), nil),
    ])
    func connectPermission(scopes: Set<String>?, expected: String?) throws {
        var machine = ServerHandshake(connectPermission: "chat:use")
        _ = machine.queryChecked(isValid: true, now: t0)
        _ = machine.frameReceived(frame("h:::{}"))
        switch machine.middlewareFinished(.success(scopes)) {
        case .reject(let x, _, let code, _):
            #expect(code == 4001)
            #expect(body(of: x)?["type"]?.stringValue == expected)
        case .establish:
            #expect(expected == nil)
        default:
            Issue.record("unexpected action")
        }
    }

    @Test func timeoutWaitingForHandshake() throws {
        var machine = ServerHandshake(timeout: .seconds(5))
        _ = machine.queryChecked(isValid: true, now: t0)
        guard case .none = machine.deadlinePassed(now: t0 + .seconds(4)) else { throw Failure() }
        guard case .reject(let x, _, let code, _) = machine.deadlinePassed(now: t0 + .seconds(5)) else { throw Failure() }
        #expect(code == 4001)
        #expect(text(x) == #"x:::{"message":"Handshake timeout"}"#)
        // A late middleware result after the timeout changes nothing.
        guard case .none = machine.middlewareFinished(.success(nil)) else { throw Failure() }
    }

    @Test func timeoutCoversSlowMiddleware() throws {
        var machine = ServerHandshake(timeout: .seconds(5))
        _ = machine.queryChecked(isValid: true, now: t0)
        _ = machine.frameReceived(frame("h:::{}"))
        guard case .reject = machine.deadlinePassed(now: t0 + .seconds(6)) else { throw Failure() }
    }

    @Test func handlerSetupFailureRejectsConnection() throws {
        var machine = ServerHandshake()
        _ = machine.queryChecked(isValid: true, now: t0)
        _ = machine.frameReceived(frame("h:::{}"))
        _ = machine.middlewareFinished(.success(nil))
        guard case .reject(let x, _, let code, let reason) = machine.registrationFailed(Failure()) else { throw Failure() }
        #expect(code == 4001)
        #expect(reason == "Connection rejected")
        #expect(text(x) == #"x:::{"message":"Connection rejected"}"#)
    }
}

@Suite("Client handshake", .timeLimit(.minutes(2)))
struct ClientHandshakeTests {
    @Test func sendsHeadersAndEstablishesOnK() throws {
        var machine = ClientHandshake()
        guard case .send(let h) = machine.start(headers: ["authorization": "Bearer abc"], now: t0) else { throw Failure() }
        #expect(text(h) == #"h:::{"authorization":"Bearer abc"}"#)
        guard case .dropFrame(.message) = machine.frameReceived(frame("m:ChatApi.newMessage::\"x\"")) else { throw Failure() }
        guard case .established = machine.frameReceived(frame("k:::null")) else { throw Failure() }
        #expect(machine.state == .established)
    }

    @Test func noMiddlewareSendsEmptyObject() throws {
        var machine = ClientHandshake()
        guard case .send(let h) = machine.start(headers: [:], now: t0) else { throw Failure() }
        #expect(text(h) == "h:::{}")
        guard case .established = machine.frameReceived(frame("k:::")) else { throw Failure() }
    }

    @Test func xGivesTheTypedError() throws {
        var machine = ClientHandshake()
        _ = machine.start(headers: [:], now: t0)
        let x = SocketFrameCodec.encode(.handshakeRejected, payload: NOT_AUTHORIZED(displayMessage: "Invalid token").jsonBytes)
        guard case .failed(let error) = machine.frameReceived(frame(text(x))) else { throw Failure() }
        #expect(error.serviceError.type == "NOT_AUTHORIZED")
        #expect(error.serviceError.displayMessage == "Invalid token")
        #expect(error.isRefusal)
    }

    @Test func xWithUnknownTypeOrMessageIsServerError() throws {
        var machine = ClientHandshake()
        _ = machine.start(headers: [:], now: t0)
        guard case .failed(let error) = machine.frameReceived(frame(#"x:::{"message":"Handshake timeout"}"#)) else { throw Failure() }
        #expect(error.serviceError.type == "SERVER_ERROR")
        #expect(error.serviceError.displayMessage == "Handshake timeout")
        var other = ClientHandshake()
        _ = other.start(headers: [:], now: t0)
        let x = SocketFrameCodec.encode(.handshakeRejected, payload: ROOM_FULL().jsonBytes)
        guard case .failed(let second) = other.frameReceived(frame(text(x))) else { throw Failure() }
        #expect(second.serviceError.type == "SERVER_ERROR")
    }

    @Test func closeDuringHandshakeFailsImmediately() throws {
        var machine = ClientHandshake()
        _ = machine.start(headers: [:], now: t0)
        guard case .failed(let error) = machine.connectionClosed(code: 4000, reason: "Invalid query parameters") else { throw Failure() }
        guard case .invalidQuery = error else { throw Failure() }
        #expect(error.serviceError.type == "VALIDATION_ERROR")
        var dropped = ClientHandshake()
        _ = dropped.start(headers: [:], now: t0)
        guard case .failed(let drop) = dropped.connectionClosed(code: 1006, reason: "") else { throw Failure() }
        #expect(!drop.isRefusal)
        #expect(drop.serviceError.type == "SERVER_ERROR")
    }

    @Test func timesOut() throws {
        var machine = ClientHandshake(timeout: .seconds(5))
        _ = machine.start(headers: [:], now: t0)
        guard case .none = machine.deadlinePassed(now: t0 + .milliseconds(4999)) else { throw Failure() }
        guard case .failed(.handshakeTimeout) = machine.deadlinePassed(now: t0 + .seconds(5)) else { throw Failure() }
        guard case .none = machine.frameReceived(frame("k:::null")) else { throw Failure() }
    }
}
