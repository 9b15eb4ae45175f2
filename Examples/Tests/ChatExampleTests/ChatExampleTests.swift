import ChatExample
import GrestHTTP
import GrestSchema
import GrestWebSocket
import Synchronization
import Testing

final class Received<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func add(_ value: Value) { values.withLock { $0.append(value) } }
    func wait(for count: Int) async -> [Value] {
        for _ in 0..<500 where values.withLock({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(10)) }
        return values.withLock { $0 }
    }
}

@Suite("Chat example end to end")
struct ChatExampleTests {
    func client(_ token: String, port: Int) -> SocketClient<Void> {
        var configuration = SocketClientConfiguration()
        configuration.middleware = [BearerAuthMiddleware(getToken: { token })]
        return ChatSocket.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
    }

    @Test func chatOverSocketsAndHTTP() async throws {
        let service = ChatService(store: try await ChatStore.open(path: ":memory:"))
        let server = try makeChatServer(HTTPServerConfiguration(port: 0), service: service)
        try await server.start()
        let port = try #require(server.port)

        let alice = client("alice", port: port)
        let bob = client("bob", port: port)
        let bobInbox = Received<Message>()
        let aliceTyping = Received<TypingEvent>()
        try bob.incoming.on(ChatApi.newMessage) { bobInbox.add($0) }
        try bob.incoming.on(ChatApi.areYouThere) { true }
        try alice.incoming.on(ChatApi.typing) { aliceTyping.add($0) }
        try await alice.connect()
        try await bob.connect()

        let reply = try await alice.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "hello bob", channelId: "general"))
        #expect(reply.success)
        let delivered = await bobInbox.wait(for: 1)
        #expect(delivered.map(\.text) == ["hello bob"])
        #expect(delivered.first?.senderId == "alice")
        try await bob.outgoing.call(ChatApi.markAsRead, MarkAsReadRequest(messageId: reply.messageId))
        try await bob.outgoing.call(ChatApi.ping)

        // Input validation and permissions on the socket.
        #expect(await alice.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "", channelId: "general")).error?.type == "VALIDATION_ERROR")
        let guest = client("guest", port: port)
        try await guest.connect()
        #expect(await guest.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "hi", channelId: "general")).error?.type == "FORBIDDEN")
        do throws(ServiceError) {
            try await client("mallory", port: port).connect()
            Issue.record("a bad token connected")
        } catch {
            #expect(error.type == "NOT_AUTHORIZED")
        }

        // The same middleware on HTTP: history, typing pushed to sockets, a roll call through server-initiated requests.
        let http = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(port)", middleware: [BearerAuthMiddleware(getToken: { "bob" })])
        #expect(try await http.call(ChatHTTPApi.me) == "bob")
        #expect(try await http.call(ChatHTTPApi.messages).map(\.text) == ["hello bob"])
        try await http.call(ChatHTTPApi.typing, TypingRequest(channelId: "general"))
        #expect(await aliceTyping.wait(for: 1) == [TypingEvent(userId: "bob", channelId: "general")])
        let online = try await http.call(ChatHTTPApi.online)
        #expect(online.connections == 3)
        #expect(online.answering == 1, "only bob answers areYouThere")
        let anonymous = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(port)")
        #expect(await anonymous.result(ChatHTTPApi.messages).error?.type == "NOT_AUTHORIZED")

        await http.shutdown()
        await anonymous.shutdown()
        await alice.disconnect()
        await bob.disconnect()
        await guest.disconnect()
        for _ in 0..<200 where service.connectionCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(service.connectionCount == 0)
        await server.shutdown()
    }
}
