import ChatExample
import GrestHTTP
import GrestSchema
import GrestWebSocket
import Testing

@Suite("Chat channels, typing, presence and the page", .timeLimit(.minutes(2)))
struct ChatChannelsTests {
    func client(_ token: String, port: Int) -> SocketClient<Void> {
        var configuration = SocketClientConfiguration()
        configuration.middleware = [BearerAuthMiddleware(getToken: { token })]
        return ChatSocket.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
    }

    @Test func channelsTypingPresenceAndTheHTTPAPI() async throws {
        let store = try await ChatStore.open(path: ":memory:")
        let service = ChatService(store: store, typingInterval: .seconds(60))
        let server = try makeChatServer(HTTPServerConfiguration(port: 0), service: service)
        try await server.start()
        let port = try #require(server.port)

        let alice = client("alice", port: port)
        let bob = client("bob", port: port)
        let created = Received<ChannelRequest>()
        let typing = Received<TypingEvent>()
        let presence = Received<Presence>()
        try bob.incoming.on(ChatApi.channelCreated) { created.add($0) }
        try bob.incoming.on(ChatApi.typing) { typing.add($0) }
        try bob.incoming.on(ChatApi.presence) { presence.add($0) }
        try await bob.connect()
        try await alice.connect()

        // Presence: bob hears that alice came online.
        let heard = await presence.wait(for: 2)
        #expect(heard.last?.users == ["alice", "bob"])
        #expect(try await alice.outgoing.call(ChatApi.online).users == ["alice", "bob"])

        // Channels: create one, everyone hears of it, a second create changes nothing, bad names are refused.
        let channel = try await alice.outgoing.call(ChatApi.createChannel, ChannelRequest(channelId: "ops"))
        #expect(channel.id == "ops")
        #expect(await created.wait(for: 1).map(\.channelId) == ["ops"])
        _ = try await alice.outgoing.call(ChatApi.createChannel, ChannelRequest(channelId: "ops"))
        let badName = await alice.outgoing.result(ChatApi.createChannel, ChannelRequest(channelId: "Bad Name"))
        #expect(badName.error?.type == "VALIDATION_ERROR")
        let bobChannels = try await bob.outgoing.call(ChatApi.channels)
        #expect(bobChannels.map(\.id) == ["general", "random", "ops"])

        // Typing is throttled per user and channel: three calls, one push.
        for _ in 0..<3 { try await alice.outgoing.call(ChatApi.startTyping, ChannelRequest(channelId: "ops")) }
        try await alice.outgoing.call(ChatApi.startTyping, ChannelRequest(channelId: "general"))
        let typed = await typing.wait(for: 2)
        try await bob.outgoing.call(ChatApi.ping)  // anything still in flight arrives before this reply
        #expect(typed == [TypingEvent(userId: "alice", channelId: "ops"), TypingEvent(userId: "alice", channelId: "general")])

        // The HTTP API: send, page, unread, read marker.
        let http = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(port)", middleware: [BearerAuthMiddleware(getToken: { "alice" })])
        let bobHTTP = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(port)", middleware: [BearerAuthMiddleware(getToken: { "bob" })])
        var sent: [Message] = []
        for index in 1...3 { sent.append(try await http.call(ChatHTTPApi.send, SendMessageRequest(text: "ops \(index)", channelId: "ops"))) }
        let page = try await bobHTTP.call(ChatHTTPApi.history, HistoryRequest(channelId: "ops", limit: 2))
        #expect(page.messages.map(\.text) == ["ops 2", "ops 3"])
        #expect(page.hasMore)
        let unread = try await bobHTTP.call(ChatHTTPApi.channels).first { $0.id == "ops" }?.unread
        #expect(unread == 3)
        try await bobHTTP.call(ChatHTTPApi.markAsRead, MarkAsReadRequest(messageId: sent[1].id))
        let after = try await bobHTTP.call(ChatHTTPApi.channels).first { $0.id == "ops" }
        #expect(after?.unread == 1)
        #expect(after?.lastReadId == sent[1].id)
        let guest = HTTPClient(ChatHTTPApi.schema, baseURL: "http://127.0.0.1:\(port)", middleware: [BearerAuthMiddleware(getToken: { "guest" })])
        #expect(await guest.result(ChatHTTPApi.send, SendMessageRequest(text: "no", channelId: "ops")).error?.type == "FORBIDDEN")
        #expect(await guest.result(ChatHTTPApi.history, HistoryRequest(channelId: "nope")).error?.type == "NOT_FOUND")

        // Presence after a disconnect.
        await alice.disconnect()
        let left = await presence.wait(for: 3)
        #expect(left.last?.users == ["bob"])

        for client in [http, bobHTTP, guest] { await client.shutdown() }
        await bob.disconnect()
        await server.shutdown()
        try await store.close()
    }

    @Test func thePageIsServed() async throws {
        let store = try await ChatStore.open(path: ":memory:")
        let server = try makeChatServer(HTTPServerConfiguration(port: 0), service: ChatService(store: store))
        try await server.start()
        let port = try #require(server.port)
        let page = try await fetchText(port: port, path: "/")
        #expect(page.contains("<title>grest chat</title>"))
        let module = try await fetchText(port: port, path: "/grest-socket.js")
        #expect(module.contains("export class GrestSocket"))
        await server.shutdown()
        try await store.close()
    }
}

/// `GET path` over a plain TCP socket with `Connection: close`; the whole response as text.
func fetchText(port: Int, path: String) async throws -> String {
    try await Task.detached {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw FetchError.socket }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw FetchError.connect }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
        guard write(descriptor, request, request.count) == request.count else { throw FetchError.write }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            response.append(contentsOf: buffer[..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }.value
}

enum FetchError: Error { case socket, connect, write }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
