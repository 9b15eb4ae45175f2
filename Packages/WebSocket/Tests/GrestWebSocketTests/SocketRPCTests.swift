import GrestContext
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import GrestWebSocketTransport
import NIOCore
import NIOPosix
import Synchronization
import Testing

// MARK: Fixtures

struct AuthUser: Sendable, Equatable {
    var id: String
    var scopes: Set<String>
}

let authUser = ContextKey<AuthUser>("authUser")

let testUsers: [String: AuthUser] = [
    "alice": AuthUser(id: "alice", scopes: ["chat:read", "chat:write"]),
    "bob": AuthUser(id: "bob", scopes: ["chat:read"]),
]

/// The seed README's BearerAuthMiddleware (shipped by GrestHTTP): one value for HTTP requests and socket handshakes.
func BearerAuth(getToken: @escaping @Sendable () -> String?) -> BearerAuthMiddleware<AuthUser> {
    BearerAuthMiddleware(userKey: authUser, getToken: getToken, verify: { testUsers[$0] })
}

let scopeResolver: ScopeResolver = { authUser.get()?.scopes }

/// Collects values from handlers running on other tasks.
final class Inbox<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func add(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }

    /// Waits until `count` values arrived (or 5 s passed).
    func wait(for count: Int) async -> [Value] {
        for _ in 0..<500 where all.count < count { try? await Task.sleep(for: .milliseconds(10)) }
        return all
    }
}

let PublicChat = webSocketSchema(
    SocketContract(
        "PublicChat",
        clientToServer: [ChatApi.sendMessage, ChatApi.markAsRead, ChatApi.ping],
        serverToClient: [ChatApi.newMessage, ChatApi.areYouThere])
).path("ws/public").done()

/// Every client-to-server method declares a permission, as strict mode requires once a resolver is wired.
enum Guarded {
    static let hello = ContractMethod("hello", success: IsString, permission: .public)
    static let contract = SocketContract("Guarded", clientToServer: [ChatApi.whoAmI, hello], serverToClient: [])
}

/// A server with `register` applied, started on port 0; shut down after `body`.
func withServer(
    configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
    _ register: (HTTPServer) throws -> Void, _ body: (Int) async throws -> Void
) async throws {
    let server = HTTPServer(configuration: configuration)
    try register(server)
    try await server.start()
    do {
        try await body(try #require(server.port))
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

/// A raw WebSocket speaking the wire protocol by hand.
struct RawPeer {
    let connection: WebSocketConnection
    var iterator: WebSocketInboundStream.AsyncIterator

    init(_ url: String) async throws {
        connection = try await WebSocketClient.connect(to: url)
        iterator = connection.inbound.makeAsyncIterator()
    }

    func send(_ text: String) async throws { try await connection.send(text: text) }

    /// The next text frame, or `nil` when the socket closed.
    mutating func next() async -> String? {
        while let message = await iterator.next() {
            if case .text(let text) = message { return text }
        }
        return nil
    }
}

// MARK: Tests

@Suite("Typed socket RPC over real sockets", .timeLimit(.minutes(2)))
struct SocketRPCTests {
    @Test func messagingBothWays() async throws {
        let marked = Inbox<String>()
        let answers = Inbox<Bool>()
        // Seen inside the server's handlers (other tasks): collected there, asserted in the test.
        let connectionPaths = Inbox<String?>()
        let messagePaths = Inbox<String?>()
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                connectionPaths.add(SocketConnectionInfo.current?.path)
                try socket.incoming.on(ChatApi.sendMessage) { request in
                    messagePaths.add(SocketMessageInfo.current?.path)
                    if request.channelId == "full" { throw ROOM_FULL(displayMessage: "Room is full") }
                    if request.channelId == "unlisted" { throw NOT_LISTED() }
                    // Push to the sender while answering, and ask it something.
                    try await socket.outgoing.call(ChatApi.newMessage, "echo: " + request.text)
                    answers.add(try await socket.outgoing.call(ChatApi.areYouThere))
                    return SendMessageResponse(success: true, messageId: "m-" + request.text)
                }
                try socket.incoming.on(ChatApi.markAsRead) { marked.add($0.messageId) }
                // ping is declared but deliberately not handled (partial registration).
            }
        }) { port in
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            let pushes = Inbox<String>()
            try client.incoming.on(ChatApi.newMessage) { pushes.add($0) }
            try client.incoming.on(ChatApi.areYouThere) { true }
            #expect(await client.outgoing.result(ChatApi.ping).error?.displayMessage == "Socket is not connected")
            #expect(!client.isConnected)
            try await client.connect()
            #expect(client.isConnected)

            let reply = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "hi", channelId: "general"))
            #expect(reply == SendMessageResponse(success: true, messageId: "m-hi"))
            #expect(pushes.all == ["echo: hi"])
            #expect(answers.all == [true])

            try await client.outgoing.call(ChatApi.markAsRead, MarkAsRead(messageId: "m1"))
            #expect(await marked.wait(for: 1) == ["m1"])

            // Declared errors are typed; undeclared ones read SERVER_ERROR "Invalid response"; bad input VALIDATION_ERROR.
            let full = await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "x", channelId: "full")).error
            #expect(full?.type == "ROOM_FULL")
            #expect(full?.displayMessage == "Room is full")
            let unlisted = await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "x", channelId: "unlisted")).error
            #expect(unlisted?.type == "SERVER_ERROR")
            let invalid = try #require(
                await client.outgoing.send(route: "PublicChat.sendMessage", data: ["text": "", "channelId": "c"], expectResponse: true))
            #expect(invalid.data().value?["type"]?.stringValue == "VALIDATION_ERROR")
            // A method without handler answers SERVER_ERROR (not ROUTE_NOT_FOUND), fire-and-forget just returns.
            try await client.outgoing.call(ChatApi.ping)
            let unknown = try #require(await client.outgoing.send(route: "PublicChat.nope", data: nil, expectResponse: true))
            #expect(unknown.data().value?["type"]?.stringValue == "ROUTE_NOT_FOUND")

            #expect(connectionPaths.all == ["/ws/public"])
            #expect(!messagePaths.all.isEmpty && messagePaths.all.allSatisfy { $0 == "PublicChat.sendMessage" }, "\(messagePaths.all)")
            await client.disconnect()
            #expect(!client.isConnected)
            #expect(await client.outgoing.result(ChatApi.ping).error?.type == "SERVER_ERROR")
            await #expect(throws: ServiceError.self) { try await client.connect() }
        }
    }

    @Test func authAtConnectQueryAndPermissions() async throws {
        let seen = Inbox<RoomQuery>()
        let schema = webSocketSchema(Guarded.contract)
            .path("ws/chat")
            .use(BearerAuth(getToken: { nil }))
            .queryOnConnect(IsObject(RoomQuery.init, field("room", \.room, IsString.nonEmpty), field("version", \.version, IsInt)))
            .connectPermission(.scope("chat:read"))
            .done()
        try await withServer({ server in
            try server.register(schema, permissionResolver: scopeResolver) { socket in
                seen.add(socket.query)
                try socket.incoming.on(ChatApi.whoAmI) { try authUser.assert().id }
            }
        }) { port in
            func client(_ token: String?, query: RoomQuery = RoomQuery(room: "lobby", version: 2)) -> SocketClient<RoomQuery> {
                var configuration = SocketClientConfiguration()
                configuration.middleware = [BearerAuth(getToken: { token })]
                return schema.createClient(url: "ws://127.0.0.1:\(port)", query: query, configuration: configuration)
            }
            // A bad token: NOT_AUTHORIZED "Invalid token" from connect(), never retried.
            do throws(ServiceError) {
                try await client("mallory").connect()
                Issue.record("connect with a bad token succeeded")
            } catch {
                #expect(error.type == "NOT_AUTHORIZED")
                #expect(error.displayMessage == "Invalid token")
            }
            // No identity at all fails the connect permission with NOT_AUTHORIZED.
            await #expect(throws: ServiceError.self) { try await client(nil).connect() }
            // A bad query is refused with close 4000: VALIDATION_ERROR.
            do throws(ServiceError) {
                try await client("alice", query: RoomQuery(room: "", version: 1)).connect()
                Issue.record("connect with an empty room succeeded")
            } catch {
                #expect(error.type == "VALIDATION_ERROR")
            }

            let alice = client("alice")
            try await alice.connect()
            #expect(try await alice.outgoing.call(ChatApi.whoAmI) == "alice")
            #expect(seen.all.last == RoomQuery(room: "lobby", version: 2), "the server sees typed, converted values")

            // Bob connects (chat:read) but whoAmI needs chat:admin or read+write: FORBIDDEN, and the socket stays open.
            let bob = client("bob")
            try await bob.connect()
            #expect(await bob.outgoing.result(ChatApi.whoAmI).error?.type == "FORBIDDEN")
            #expect(await bob.outgoing.result(ChatApi.whoAmI).error?.type == "FORBIDDEN")
            #expect(bob.isConnected)
            await alice.disconnect()
            await bob.disconnect()
        }
    }

    @Test func perMessageGateWithoutIdentity() async throws {
        let schema = webSocketSchema(Guarded.contract).path("ws/open").done()
        try await withServer({ server in
            try server.register(schema, permissionResolver: scopeResolver) { socket in
                try socket.incoming.on(ChatApi.whoAmI) { "nobody" }
                try socket.incoming.on(Guarded.hello) { "hello" }
            }
        }) { port in
            let client = schema.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            #expect(await client.outgoing.result(ChatApi.whoAmI).error?.type == "NOT_AUTHORIZED")
            // Public methods need no identity.
            #expect(try await client.outgoing.call(Guarded.hello) == "hello")
            await client.close()
        }
    }

    /// `SocketServerConfiguration.handlerExecutor`: by default handlers run on Swift's global executor; with
    /// `.eventLoop` the connection's handler and every message handler run on its NIO event loop.
    @Test(arguments: [WebSocketHandlerExecutor.globalConcurrent, .eventLoop])
    func messageHandlersRunWhereConfigured(executor: WebSocketHandlerExecutor) async throws {
        let schema = webSocketSchema(Guarded.contract).path("ws/where").done()
        var configuration = SocketServerConfiguration()
        configuration.handlerExecutor = executor
        let connectionOnLoop = Mutex<Bool?>(nil)
        try await withServer({ server in
            try server.register(schema, permissionResolver: scopeResolver, configuration: configuration) { socket in
                connectionOnLoop.withLock { $0 = MultiThreadedEventLoopGroup.currentEventLoop != nil }
                try socket.incoming.on(Guarded.hello) {
                    // A suspension first: the handler must come back to the same kind of thread.
                    try await Task.sleep(for: .milliseconds(1))
                    return MultiThreadedEventLoopGroup.currentEventLoop != nil ? "event loop" : "global"
                }
            }
        }) { port in
            let client = schema.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            let expected = executor == .eventLoop ? "event loop" : "global"
            for _ in 0..<3 { #expect(try await client.outgoing.call(Guarded.hello) == expected) }
            #expect(connectionOnLoop.withLock { $0 } == (executor == .eventLoop))
            await client.close()
        }
    }

    /// Strict mode covers HTTP routes and socket methods together: with every socket method declaring a permission,
    /// one HTTP route without a permission is what stops the server, and the reverse.
    @Test func strictModeIsSharedWithHTTP() async throws {
        func health(permission: Permission?) -> (HTTPSchema, ContractMethod<Void, String>) {
            let ping = ContractMethod("ping", success: IsString, permission: permission)
            return (HTTPSchema(Contract("Health", ping), pathPrefix: "health").routes { $0.get(ping, "/ping") }, ping)
        }
        func start(http: (HTTPSchema, ContractMethod<Void, String>), socket: SocketContract) async -> String? {
            let server = HTTPServer()
            server.register(http.0, permissionResolver: scopeResolver) { $0.handle(http.1) { "pong" } }
            do {
                try server.register(webSocketSchema(socket).path("ws/x").done(), permissionResolver: scopeResolver) { _ in }
                try await server.start()
            } catch {
                return String(describing: error)
            }
            await server.shutdown()
            return nil
        }
        // Every socket method declares a permission (Guarded): the HTTP side decides.
        #expect(await start(http: health(permission: .public), socket: Guarded.contract) == nil)
        let httpRefused = await start(http: health(permission: nil), socket: Guarded.contract)
        #expect(httpRefused?.contains("Health.ping") == true, "\(httpRefused ?? "started")")
        #expect(httpRefused?.contains("Guarded") == false)
        // Every HTTP route declares a permission: the socket side decides (ChatApi.ping declares none).
        let socketRefused = await start(http: health(permission: .public), socket: ChatApi.contract)
        #expect(socketRefused?.contains("ChatApi.ping") == true, "\(socketRefused ?? "started")")
        #expect(socketRefused?.contains("Health") == false)

        // A socket permission without a resolver refuses to start.
        let lonely = HTTPServer()
        try lonely.register(webSocketSchema(ChatApi.contract).path("ws/x").done()) { _ in }
        do {
            try await lonely.start()
            Issue.record("started without a resolver")
            await lonely.shutdown()
        } catch {
            #expect(String(describing: error).contains("ChatApi.whoAmI"))
        }
    }

    @Test func aSlowHandlerDoesNotHoldUpTheNextRequest() async throws {
        let finished = Inbox<String>()
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let (releases, release) = AsyncStream.makeStream(of: Void.self)
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { request in
                    // "slow" is held until the test releases it: the read loop must serve the next request meanwhile.
                    if request.text == "slow" {
                        arrived.yield()
                        _ = await first(releases, within: .seconds(30))
                    }
                    finished.add(request.text)
                    return SendMessageResponse(success: true, messageId: request.text)
                }
            }
        }) { port in
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            async let slow = client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "slow", channelId: "c"))
            #expect(await first(arrivals) != nil, "the slow request never reached its handler")
            // Answered while "slow" cannot finish: nothing waits for it.
            let fast = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "fast", channelId: "c"))
            #expect(fast.messageId == "fast")
            #expect(finished.all == ["fast"])
            release.yield()
            #expect(try await slow.messageId == "slow")
            #expect(finished.all == ["fast", "slow"])
            await client.close()
        }
    }

    /// A graceful `disconnect()` waits for the client's request in flight (the drain), and the reply ends that wait
    /// at once: it neither cuts the request off nor sits out `drainTimeout`.
    @Test func gracefulDisconnectWaitsForTheRequestInFlightAndNoLonger() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let (releases, release) = AsyncStream.makeStream(of: Void.self)
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { request in
                    arrived.yield()
                    _ = await first(releases, within: .seconds(30))
                    return SendMessageResponse(success: true, messageId: request.text)
                }
            }
        }) { port in
            var configuration = SocketClientConfiguration()
            configuration.drainTimeout = .seconds(20)
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
            try await client.connect()
            async let reply = client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "last words", channelId: "c"))
            #expect(await first(arrivals) != nil, "the request never reached its handler")
            async let closing: Void = client.disconnect()
            // Release only once the disconnect has begun (the client reports itself disconnected at once): without
            // the drain the socket would then close before the reply could arrive.
            let start = ContinuousClock.now
            while client.isConnected, ContinuousClock.now - start < .seconds(10) { await Task.yield() }
            #expect(!client.isConnected, "disconnect() never began")
            release.yield()
            let released = ContinuousClock.now
            #expect(try await reply.messageId == "last words", "the drain let the request finish")
            await closing
            #expect(ContinuousClock.now - released < .seconds(5), "the reply ended the drain, not the 20 s drainTimeout")
        }
    }

    @Test func requestTimeoutAndCloseResolvePending() async throws {
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let (releases, release) = AsyncStream.makeStream(of: Void.self)
        let lateReplies = Inbox<String>()
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { request in
                    if request.text.hasPrefix("held") {
                        arrived.yield()
                        _ = await first(releases, within: .seconds(30))
                        lateReplies.add(request.text)
                    }
                    return SendMessageResponse(success: true, messageId: request.text)
                }
            }
        }) { port in
            var configuration = SocketClientConfiguration()
            configuration.reconnect = nil
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
            try await client.connect()
            let timedOut = await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "held-1", channelId: "c"), timeout: .milliseconds(100)).error
            #expect(timedOut?.type == "SERVER_ERROR")
            #expect(timedOut?.displayMessage == "Request timeout")
            #expect(await first(arrivals) != nil, "the held request never reached its handler")
            // The handler now answers after the client gave up: the late `s` for the timed-out id must not resolve
            // anything else nor break the socket. The next call is sent only once the late reply is on its way.
            release.yield()
            for _ in 0..<500 where lateReplies.all.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            #expect(lateReplies.all == ["held-1"])
            #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "fast", channelId: "c")).messageId == "fast")
            #expect(client.isConnected)

            // close() resolves what is in flight with "Socket connection closed!".
            let pending = Task { await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "held-2", channelId: "c")) }
            #expect(await first(arrivals) != nil, "the second held request never reached its handler")
            await client.close()
            #expect(await value(of: pending)?.error?.displayMessage == "Socket connection closed!")
            release.yield()
        }
    }

    @Test func lifecycleCallbacksAndReconnect() async throws {
        let connections = Inbox<Int>()
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                connections.add(1)
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            }
        }) { port in
            var configuration = SocketClientConfiguration()
            configuration.reconnect = ReconnectPolicy(initialDelay: .milliseconds(50))
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
            let closes = Inbox<SocketDisconnectReason>()
            let disconnects = Inbox<SocketDisconnectReason>()
            let connects = Inbox<Int>()
            client.onClose { closes.add($0) }
            client.onDisconnect { disconnects.add($0) }
            client.onConnect { connects.add(1) }
            try await client.connect()

            client.forceReconnect()
            #expect(await connects.wait(for: 2).count == 2, "the reconnect re-ran the handshake")
            #expect(disconnects.all == [.drop])
            #expect(connections.all.count == 2, "the server ran its connection handler again")
            #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "again", channelId: "c")).messageId == "again")

            await client.disconnect()
            await client.disconnect()
            #expect(closes.all == [.manual])
            #expect(disconnects.all == [.drop, .manual])
        }
    }

    @Test func reconnectsAfterTheServerComesBack() async throws {
        let register: (HTTPServer) throws -> Void = { server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            }
        }
        let first = HTTPServer()
        try register(first)
        try await first.start()
        let port = try #require(first.port)
        var configuration = SocketClientConfiguration()
        configuration.reconnect = ReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200))
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        let errors = Inbox<String>()
        let connects = Inbox<Int>()
        client.onError { errors.add($0.type) }
        client.onConnect { connects.add(1) }
        try await client.connect()
        await first.shutdown()
        // Attempts fail while nothing listens (network errors are retried)…
        #expect(await errors.wait(for: 1).first == "SERVER_ERROR")
        #expect(!client.isConnected)
        // …and the client is back as soon as a server is.
        let second = HTTPServer(configuration: HTTPServerConfiguration(port: port))
        try register(second)
        try await second.start()
        #expect(await connects.wait(for: 2).count == 2)
        #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "back", channelId: "c")).messageId == "back")
        await client.disconnect()
        await second.shutdown()
    }

    @Test func refusedReconnectIsNotRetried() async throws {
        let token = Mutex("alice")
        let schema = webSocketSchema(Guarded.contract).path("ws/auth").use(BearerAuth(getToken: { nil })).connectPermission(.scope("chat:read"))
            .done()
        try await withServer({ server in
            try server.register(schema, permissionResolver: scopeResolver) { socket in
                try socket.incoming.on(Guarded.hello) { "hi" }
            }
        }) { port in
            var configuration = SocketClientConfiguration()
            configuration.reconnect = ReconnectPolicy(initialDelay: .milliseconds(20))
            // Every handshake attempt asks for the token: counting the asks counts the attempts.
            let attempts = Mutex(0)
            configuration.middleware = [BearerAuth(getToken: { attempts.withLock { $0 += 1 }; return token.withLock { $0 } })]
            let client = schema.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
            let closes = Inbox<SocketDisconnectReason>()
            let errors = Inbox<String>()
            client.onClose { closes.add($0) }
            client.onError { errors.add($0.type) }
            try await client.connect()
            token.withLock { $0 = "revoked" }
            client.forceReconnect()
            #expect(await closes.wait(for: 1) == [.unrecoverable])
            #expect(errors.all == ["NOT_AUTHORIZED"], "one attempt, refused")
            // Never retried: over 50 retry delays (initialDelay 20 ms) no further attempt is made.
            let attemptsAfterRefusal = attempts.withLock { $0 }
            try await Task.sleep(for: .seconds(1))
            #expect(attempts.withLock { $0 } == attemptsAfterRefusal, "the client retried a refused handshake")
            #expect(errors.all == ["NOT_AUTHORIZED"])
            #expect(!client.isConnected)
        }
    }

    @Test func rawPeerSpeaksTheWireProtocol() async throws {
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
                try socket.incoming.on(ChatApi.markAsRead) { _ in
                    // A server-initiated request, answered by the raw peer below.
                    _ = try? await socket.outgoing.call(ChatApi.areYouThere)
                }
            }
        }) { port in
            var raw = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            // Frames before `h`/`k` are dropped, not answered.
            try await raw.send(#"r:PublicChat.sendMessage:1:{"text":"early","channelId":"c"}"#)
            try await raw.send(#"h:::{"cookie":"spoofed"}"#)
            #expect(await raw.next() == "k:::null")
            try await raw.send(#"r:PublicChat.sendMessage:7:{"text":"a:b:c","channelId":"c"}"#)
            #expect(await raw.next() == #"s:PublicChat.sendMessage:7:{"success":true,"type":"OK","data":{"success":true,"messageId":"a:b:c"}}"#)
            try await raw.send("p:::")
            #expect(await raw.next() == "o:::")
            try await raw.send(#"m:PublicChat.markAsRead::{"messageId":"m"}"#)
            let request = try #require(await raw.next())
            #expect(request == "r:PublicChat.areYouThere:1:")
            try await raw.send(#"s:PublicChat.areYouThere:1:{"success":true,"type":"OK","data":true}"#)
            _ = try await raw.connection.close()
        }
    }

    @Test func untypedHandlersForProxies() async throws {
        let registrationOutcomes = Inbox<String>()
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(route: "PublicChat.sendMessage") { raw in
                    ContractReply(success: ["echo": raw ?? .null])
                }
                do {
                    try socket.incoming.on(route: "PublicChat.nope") { _ in ContractReply(success: nil) }
                    registrationOutcomes.add("accepted")
                } catch {
                    registrationOutcomes.add("refused")
                }
            }
        }) { port in
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            let reply = try #require(await client.outgoing.send(route: "PublicChat.sendMessage", data: ["text": "raw"], expectResponse: true))
            #expect(reply.data().value?["data"]?["echo"]?["text"]?.stringValue == "raw")
            #expect(registrationOutcomes.all == ["refused"], "a route outside the contract must be refused")
            await client.disconnect()
        }
    }

    @Test func rejectedHandshakeSendsTypedErrorAndCloses4001() async throws {
        let schema = webSocketSchema(Guarded.contract).path("ws/auth").use(BearerAuth(getToken: { nil })).connectPermission(.scope("chat:read"))
            .done()
        try await withServer({ server in
            try server.register(schema, permissionResolver: scopeResolver) { _ in }
        }) { port in
            var raw = try await RawPeer("ws://127.0.0.1:\(port)/ws/auth")
            try await raw.send(#"h:::{"authorization":"Bearer mallory"}"#)
            let rejection = try #require(await raw.next())
            #expect(rejection.hasPrefix(#"x:::{"success":false,"type":"NOT_AUTHORIZED","statusCode":401"#))
            #expect(await raw.next() == nil)
            let info = await raw.connection.closeInfo
            #expect(info.code.rawValue == 4001)
            #expect(info.reason == "Handshake failed")
        }
    }

    @Test func badInputKeepsTheServerServing() async throws {
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            }
        }) { port in
            var raw = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            try await raw.send("h:::")
            #expect(await raw.next() == "k:::null")
            for junk in [
                "r:PublicChat.sendMessage::{}", "r:PublicChat.sendMessage:abc:{}", "z:what:1:{}", "", ":::", "s:PublicChat.sendMessage:999:{}",
                "r:" + String(repeating: "A", count: 1 << 20) + ":1:{}", "m:PublicChat.sendMessage::{not json", "h:::{}", "k:::null",
            ] {
                try await raw.send(junk)
            }
            try await raw.connection.send(binary: ByteBuffer(bytes: [1, 2, 3]))
            // Bad JSON reads as absent input: a VALIDATION_ERROR reply, the socket stays open.
            try await raw.send("r:PublicChat.sendMessage:5:{nope")
            let reply = try #require(await raw.next())
            #expect(reply.hasPrefix(#"s:PublicChat.sendMessage:5:{"success":false,"type":"VALIDATION_ERROR""#))
            // A flood of requests: every one gets exactly one answer.
            for id in 10..<510 { try await raw.send(#"r:PublicChat.sendMessage:\#(id):{"text":"\#(id)","channelId":"c"}"#) }
            var answered = Set<String>()
            while answered.count < 500, let text = await raw.next() {
                answered.insert(String(text.split(separator: ":", maxSplits: 3)[2]))
            }
            #expect(answered.count == 500)
            // Others are still served.
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            #expect(try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "ok", channelId: "c")).messageId == "ok")
            await client.close()
            _ = try await raw.connection.close()
        }
    }

    @Test func handshakeTimeoutAndAppLevelHeartbeat() async throws {
        var configuration = SocketServerConfiguration()
        // Long enough for a loaded machine to connect and send `h` (the mute peer), short enough for the silent one.
        configuration.handshakeTimeout = .seconds(2)
        configuration.peer.heartbeat = Heartbeat.Configuration(interval: .milliseconds(100), timeout: .milliseconds(200), usesProtocolPing: false)
        try await withServer({ server in
            try server.register(PublicChat, configuration: configuration) { _ in }
        }) { port in
            // No `h` within the timeout: x:::{"message":"Handshake timeout"} and 4001.
            var silent = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            #expect(await silent.next() == #"x:::{"message":"Handshake timeout"}"#)
            #expect(await silent.next() == nil)
            #expect(await silent.connection.closeInfo.code.rawValue == 4001)

            // After `k` the server sends `p:::`; a peer that never answers is dropped.
            var mute = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            try await mute.send("h:::{}")
            #expect(await mute.next() == "k:::null")
            #expect(await mute.next() == "p:::")
            let started = ContinuousClock.now
            while await mute.next() != nil {}
            // Dropped after about interval + timeout (300 ms); the bound only has to tell "dropped" from "kept".
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func bearerAuthOnHTTPAndSocketAtOnce() async throws {
        let me = ContractMethod("me", success: IsString, errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
        let ask = ContractMethod("ask", success: IsString, errors: [NOT_AUTHORIZED, FORBIDDEN], permission: .scope("chat:read"))
        let socketContract = SocketContract("Who", clientToServer: [ask], serverToClient: [])
        let auth = BearerAuth(getToken: { "alice" })
        let http = HTTPSchema(Contract("Profile", me), pathPrefix: "api").use(auth).routes { $0.get(me, "/me") }
        let socket = webSocketSchema(socketContract).path("ws/who").use(auth).done()
        try await withServer({ server in
            server.register(http, permissionResolver: scopeResolver) { $0.handle(me) { try authUser.assert().id } }
            try server.register(socket, permissionResolver: scopeResolver) { connection in
                try connection.incoming.on(ask) { "ws:" + (try authUser.assert().id) }
            }
            // A second socket API on the same server (strict mode: every method declares a permission).
            try server.register(webSocketSchema(Guarded.contract).path("ws/guarded").done(), permissionResolver: scopeResolver) { connection in
                try connection.incoming.on(Guarded.hello) { "guarded" }
            }
        }) { port in
            let httpClient = HTTPClient(http, baseURL: "http://127.0.0.1:\(port)")
            #expect(try await httpClient.call(me) == "alice")
            await httpClient.shutdown()
            let client = socket.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            #expect(try await client.outgoing.call(ask) == "ws:alice")
            await client.disconnect()
            let guarded = webSocketSchema(Guarded.contract).path("ws/guarded").done().createClient(url: "ws://127.0.0.1:\(port)")
            try await guarded.connect()
            #expect(try await guarded.outgoing.call(Guarded.hello) == "guarded")
            await guarded.disconnect()
        }
    }

    @Test func aPushFromTheConnectionHandlerFollowsTheHandshake() async throws {
        try await withServer({ server in
            try server.register(PublicChat) { socket in
                // `k` goes out after this handler returns: the push is held until then (the client drops earlier frames).
                try await socket.outgoing.call(ChatApi.newMessage, "welcome")
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            }
        }) { port in
            var raw = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            try await raw.send("h:::")
            #expect(await raw.next() == "k:::null")
            #expect(await raw.next() == #"m:PublicChat.newMessage::"welcome""#)
            _ = try await raw.connection.close()
        }
    }
}
