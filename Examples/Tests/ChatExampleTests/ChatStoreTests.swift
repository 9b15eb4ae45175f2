@testable import ChatExample
import Foundation
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import Testing
import SQLiteNIO
import Tagged

@Suite("Chat history in SQLite", .timeLimit(.minutes(2)))
struct ChatStoreTests {
    func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("grest-chat-\(UInt64.random(in: 0...UInt64.max)).sqlite").path
    }

    @Test func historySurvivesARestartInWALMode() async throws {
        let path = temporaryDatabase()
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let first = try await ChatStore.open(path: path)
        let value1 = try await first.journalMode()
        #expect(value1 == "wal")
        let value2 = try await first.channelIds()
        #expect(value2 == ["general", "random"])
        let value3 = try await first.createChannel("ops", by: "alice")
        #expect(value3)
        let value4 = try await first.createChannel("ops", by: "bob")
        #expect(!value4, "a second create is not a new channel")
        let sent = try await first.append(text: "kept", from: "alice", to: "ops")
        try await first.markRead(user: "bob", channelId: "ops", messageId: Int(sent.id)!)
        try await first.close()

        let second = try await ChatStore.open(path: path)
        let value5 = try await second.channelIds()
        #expect(value5 == ["general", "random", "ops"])
        let value6 = try await second.history(channelId: "ops", limit: 10)
        #expect(value6 == [sent])
        let bob = try await second.channelStates(for: "bob")
        #expect(bob.first { $0.id == "ops" } == ChannelState(id: "ops", unread: 0, lastReadId: sent.id))
        let value7 = try await second.connection.query("SELECT COUNT(*) AS n FROM schema_migrations").first?.column("n")?.integer
        #expect(value7 == 1)
        try await second.close()
    }

    @Test func historyPagesBackwardsAndUnreadCountsFollowTheMarker() async throws {
        let store = try await ChatStore.open(path: ":memory:")
        let service = ChatService(store: store, historyLimit: 3)
        var sent: [Message] = []
        for index in 1...7 { sent.append(try await service.send("m\(index)", from: "alice", to: "general")) }
        let newest = try await service.history(HistoryRequest(channelId: "general"))
        #expect(newest.messages.map(\.text) == ["m5", "m6", "m7"])
        #expect(newest.hasMore)
        let older = try await service.history(HistoryRequest(channelId: "general", before: newest.messages[0].id))
        #expect(older.messages.map(\.text) == ["m2", "m3", "m4"])
        let oldest = try await service.history(HistoryRequest(channelId: "general", before: older.messages[0].id, limit: 5))
        #expect(oldest.messages.map(\.text) == ["m1"])
        #expect(!oldest.hasMore)

        let value8 = try await service.channels(for: "bob").first?.unread
        #expect(value8 == 7)
        let value9 = try await service.channels(for: "alice").first?.unread
        #expect(value9 == 0, "your own messages are read")
        try await service.markRead(user: "bob", messageId: sent[4].id)
        let value10 = try await service.channels(for: "bob").first?.unread
        #expect(value10 == 2)
        try await service.markRead(user: "bob", messageId: sent[1].id)
        let value11 = try await service.channels(for: "bob").first?.unread
        #expect(value11 == 2, "a marker never moves back")
        await #expect(throws: ServiceError.self) { try await service.history(HistoryRequest(channelId: "nope")) }
        try await store.close()
    }

    @Test func aFailedWriteReachesTheSenderAsServerError() async throws {
        let store = try await ChatStore.open(path: ":memory:")
        let service = ChatService(store: store)
        let server = try makeChatServer(HTTPServerConfiguration(port: 0), service: service)
        try await server.start()
        let port = try #require(server.port)
        var configuration = SocketClientConfiguration()
        configuration.middleware = [BearerAuthMiddleware(getToken: { "alice" })]
        let alice = ChatSocket.createClient(url: "ws://127.0.0.1:\(port)", configuration: configuration)
        try await alice.connect()
        let value12 = try await alice.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "saved", channelId: "general")).success
        #expect(value12)
        _ = try await store.connection.query("PRAGMA query_only = ON")  // every write now fails
        let failed = await alice.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "lost?", channelId: "general"))
        #expect(failed.error?.type == "SERVER_ERROR")
        let value13 = try await service.latest().map(\.text)
        #expect(value13 == ["saved"])
        let unknown = await alice.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: "x", channelId: "nowhere"))
        #expect(unknown.error?.type == "NOT_FOUND")
        await alice.disconnect()
        await server.shutdown()
        try await store.close()
    }
}
