import ChatExample
import GrestHTTP
import GrestSchema
import GrestTestKit
import GrestWebSocket
import Testing
import Tagged

@Suite("Chat channels, typing, presence and the page", .timeLimit(.minutes(1)))
struct ChatChannelsTests {
    @Test(.grest([chatApp(typingInterval: .seconds(60))]))
    func channelsTypingPresenceAndTheHTTPAPI() async throws {
        let harness = try GrestHarness.required()
        // Presence: bob hears himself come online, then alice.
        let bob = try await harness.connect(ChatSocket, as: .bearer("bob"))
        await bob.expectPush(ChatApi.presence, matching: ["users": ["bob"]])
        let alice = try await harness.connect(ChatSocket, as: .bearer("alice"))
        alice.ignore(ChatApi.presence)
        alice.ignore(ChatApi.newMessage)
        await bob.expectPush(ChatApi.presence, matching: ["users": ["alice", "bob"]])
        try await alice.call(ChatApi.online).expect(equals: Presence(users: ["alice", "bob"])).run()

        // Channels: create one, everyone hears of it, a second create changes nothing, bad names are refused.
        try await alice.call(ChatApi.createChannel, ChannelRequest(channelId: "ops"))
            .expect(equals: ChannelState(id: "ops", unread: 0, lastReadId: "0"))
            .run()
        await bob.expectPush(ChatApi.channelCreated, matching: ["channelId": "ops"])
        await alice.expectPush(ChatApi.channelCreated, matching: ["channelId": "ops"])
        try await alice.call(ChatApi.createChannel, ChannelRequest(channelId: "ops")).run()
        try await alice.call(ChatApi.createChannel, ChannelRequest(channelId: "Bad Name"))
            .expectValidation(["channelId": "invalid.string.pattern"])
            .run()
        try await bob.call(ChatApi.channels).expect(matching: [["id": "general"], ["id": "random"], ["id": "ops"]]).run()

        // Typing is throttled per user and channel: three calls, one push (a second one fails the test at bob's close).
        for _ in 0..<3 { try await alice.call(ChatApi.startTyping, ChannelRequest(channelId: "ops")).run() }
        try await alice.call(ChatApi.startTyping, ChannelRequest(channelId: "general")).run()
        await bob.expectPush(ChatApi.typing, matching: ["userId": "alice", "channelId": "ops"])
        await bob.expectPush(ChatApi.typing, matching: ["userId": "alice", "channelId": "general"])

        // The HTTP API: send, page, unread, read marker.
        let aliceHTTP = try harness.callOn(ChatHTTPApi.self, as: .bearer("alice"))
        let bobHTTP = try harness.callOn(ChatHTTPApi.self, as: .bearer("bob"))
        var sent: [Message] = []
        for index in 1...3 { sent.append(try await aliceHTTP.send(SendMessageRequest(text: "ops \(index)", channelId: "ops")).run()) }
        for message in sent { await bob.expectPush(ChatApi.newMessage, matching: ["id": .string(message.id), "channelId": "ops"]) }
        try await bobHTTP.history(HistoryRequest(channelId: "ops", limit: 2))
            .expect(matching: ["messages": [["text": "ops 2"], ["text": "ops 3"]], "hasMore": true])
            .run()
        try await bobHTTP.channels().expect(matching: [["id": "general"], ["id": "random"], ["id": "ops", "unread": 3]]).run()
        try await bobHTTP.markAsRead(MarkAsReadRequest(messageId: sent[1].id)).run()
        let read: JSONValue = ["id": "ops", "unread": 1, "lastReadId": .string(sent[1].id)]
        try await bobHTTP.channels().expect(matching: [["id": "general"], ["id": "random"], read]).run()
        let guest = try harness.callOn(ChatHTTPApi.self, as: .bearer("guest"))
        try await guest.send(SendMessageRequest(text: "no", channelId: "ops")).expectError(FORBIDDEN).run()
        try await guest.history(HistoryRequest(channelId: "nope")).expectError(NOT_FOUND).run()

        // Presence after a disconnect.
        await alice.close()
        await bob.expectPush(ChatApi.presence, matching: ["users": ["bob"]])
        // Pushes to bob travel ahead of this reply; any bob did not expect fails the test at close.
        try await bob.call(ChatApi.ping).run()
        await bob.close()
    }

    @Test(.grest([chatApp()]))
    func thePageIsServed() async throws {
        let url = try GrestHarness.required().baseURL(for: ChatHTTPApi.self)
        let port = try #require(url.split(separator: ":").last.flatMap { Int($0) })
        let page = try await fetchText(port: port, path: "/")
        #expect(page.contains("<title>grest chat</title>"))
        let module = try await fetchText(port: port, path: "/grest-socket.js")
        #expect(module.contains("export class GrestSocket"))
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
