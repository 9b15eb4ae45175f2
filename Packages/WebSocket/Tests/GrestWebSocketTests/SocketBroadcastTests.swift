import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import GrestWebSocketTransport
import MetricsTestKit
import Synchronization
import Testing

/// `SocketBroadcast` over real sockets: topics, exclusion, the slow-consumer rule, repeats from an at-least-once
/// backend, and its counters.
@Suite("Socket broadcast", .timeLimit(.minutes(2)))
struct SocketBroadcastTests {
    /// A server whose `sendMessage` subscribes the caller to the topic named by `channelId` (`text` "leave" leaves it).
    static func register(_ broadcast: SocketBroadcast, on server: HTTPServer) throws {
        try server.register(PublicChat) { socket in
            try socket.incoming.on(ChatApi.sendMessage) { request in
                if request.text == "leave" {
                    broadcast.unsubscribe(socket, from: [request.channelId])
                } else {
                    broadcast.subscribe(socket, to: [request.channelId])
                }
                return SendMessageResponse(success: true, messageId: request.channelId)
            }
        }
    }

    /// A typed client subscribed to `topics`, collecting its `newMessage` pushes.
    static func subscriber(port: Int, topics: [String]) async throws -> (SocketClient<Void>, Inbox<String>) {
        let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
        let inbox = Inbox<String>()
        try client.incoming.on(ChatApi.newMessage) { inbox.add($0) }
        try await client.connect()
        for topic in topics { _ = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "join", channelId: topic)) }
        return (client, inbox)
    }

    @Test func pushesReachTheTopicsSubscribersButNotTheExcludedOnes() async throws {
        let metrics = TestMetrics()
        let broadcast = SocketBroadcast(contract: PublicChat.contract, metrics: metrics)
        try await withServer({ try Self.register(broadcast, on: $0) }) { port in
            let (alice, toAlice) = try await Self.subscriber(port: port, topics: ["room", "user:alice"])
            let (bob, toBob) = try await Self.subscriber(port: port, topics: ["room", "user:bob"])
            let (carol, toCarol) = try await Self.subscriber(port: port, topics: ["elsewhere"])
            #expect(broadcast.subscriberCount(of: "room") == 2)

            try await broadcast.publish(ChatApi.newMessage, "to the room", to: "room")
            try await broadcast.publish(ChatApi.newMessage, "all but alice", to: "room", excluding: "user:alice")
            try await broadcast.publish(ChatApi.newMessage, "to carol", to: "elsewhere")
            #expect(await toAlice.wait(for: 1) == ["to the room"])
            #expect(Set(await toBob.wait(for: 2)) == ["to the room", "all but alice"])  // typed handlers run unordered
            #expect(await toCarol.wait(for: 1) == ["to carol"])

            // Input the contract refuses, and a method that is not a push, never go out.
            await #expect(throws: ServiceError.self) { try await broadcast.publish(ChatApi.areYouThere, (), to: "room") }

            // Leaving a topic, and closing the socket, unsubscribe.
            _ = try await bob.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "leave", channelId: "room"))
            await carol.disconnect()
            for _ in 0..<200 where broadcast.subscriberCount(of: "elsewhere") > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(broadcast.subscriberCount(of: "elsewhere") == 0)
            #expect(broadcast.subscriberCount(of: "room") == 1)
            try await broadcast.publish(ChatApi.newMessage, "after bob left", to: "room")
            #expect(Set(await toAlice.wait(for: 2)) == ["to the room", "after bob left"])
            #expect(toBob.all.count == 2)
            await alice.disconnect()
            await bob.disconnect()
        }
        #expect(try metrics.expectCounter("grest_ws_broadcast_published_total", [("api", "PublicChat"), ("result", "OK")]).totalValue == 4)
        #expect(try metrics.expectCounter("grest_ws_broadcast_deliveries_total", [("api", "PublicChat"), ("result", "OK")]).totalValue == 5)
    }

    @Test func aRepeatedMessageIDIsDeliveredOnce() async throws {
        let metrics = TestMetrics()
        let broadcast = SocketBroadcast(contract: PublicChat.contract, metrics: metrics)
        try await withServer({ try Self.register(broadcast, on: $0) }) { port in
            let (client, inbox) = try await Self.subscriber(port: port, topics: ["room"])
            let message = BroadcastMessage(id: "m-1", topic: "room", route: "PublicChat.newMessage", payload: Array(#""once""#.utf8))
            broadcast.deliver(message)
            broadcast.deliver(message)  // an at-least-once backend repeating itself
            broadcast.deliver(BroadcastMessage(id: "m-2", topic: "room", route: "PublicChat.newMessage", payload: Array(#""twice""#.utf8)))
            #expect(Set(await inbox.wait(for: 2)) == ["once", "twice"])
            try await Task.sleep(for: .milliseconds(50))
            #expect(inbox.all.count == 2)
            await client.disconnect()
        }
        #expect(try metrics.expectCounter("grest_ws_broadcast_duplicates_total", [("api", "PublicChat")]).totalValue == 1)
    }

    @Test func invalidUTF8FromABackendIsRepairedOnceForEverySubscriber() async throws {
        // The frame is encoded once and its buffer sent as trusted text to each subscriber: the repair happens before.
        let broadcast = SocketBroadcast(contract: PublicChat.contract)
        try await withServer({ try Self.register(broadcast, on: $0) }) { port in
            let (first, toFirst) = try await Self.subscriber(port: port, topics: ["room"])
            let (second, toSecond) = try await Self.subscriber(port: port, topics: ["room"])
            let payload: [UInt8] = [0x22, 0x61, 0xFF, 0x62, 0x22]  // "a\xFFb"
            broadcast.deliver(BroadcastMessage(id: "m-1", topic: "room", route: "PublicChat.newMessage", payload: payload))
            broadcast.deliver(BroadcastMessage(id: "m-2", topic: "room", route: "PublicChat.newMessage", payload: Array(#""after""#.utf8)))
            // An encoded message handed to `publish(_:)` (a relay, a proxy) is not trusted either.
            let relayed: [UInt8] = [0x22, 0x63, 0xC3, 0x22]  // "c\xC3"
            try await broadcast.publish(BroadcastMessage(id: "m-3", topic: "room", route: "PublicChat.newMessage", payload: relayed))
            #expect(Set(await toFirst.wait(for: 3)) == ["a\u{FFFD}b", "after", "c\u{FFFD}"])
            #expect(Set(await toSecond.wait(for: 3)) == ["a\u{FFFD}b", "after", "c\u{FFFD}"])
            await first.disconnect()
            await second.disconnect()
        }
    }

    @Test func anInProcessPublishIsNotDeduplicated() async throws {
        // Without a backend nothing repeats a message, so no id is remembered: the same message published twice is
        // pushed twice.
        let metrics = TestMetrics()
        let broadcast = SocketBroadcast(contract: PublicChat.contract, metrics: metrics)
        try await withServer({ try Self.register(broadcast, on: $0) }) { port in
            let (client, inbox) = try await Self.subscriber(port: port, topics: ["room"])
            let message = BroadcastMessage(id: "m-1", topic: "room", route: "PublicChat.newMessage", payload: Array(#""again""#.utf8))
            try await broadcast.publish(message)
            try await broadcast.publish(message)
            #expect(await inbox.wait(for: 2) == ["again", "again"])
            await client.disconnect()
        }
        #expect(metrics.counterTotal(label: "grest_ws_broadcast_duplicates_total") == 0)
    }

    @Test func aSubscriberThatStopsReadingIsClosedWith1013AndNeverSlowsTheOthers() async throws {
        let metrics = TestMetrics()
        var limits = SocketBroadcast.Limits()
        limits.maxPendingMessages = 64
        let broadcast = SocketBroadcast(contract: PublicChat.contract, limits: limits, metrics: metrics)
        try await withServer({ try Self.register(broadcast, on: $0) }) { port in
            // Both subscribers speak the wire protocol by hand, so what is checked is the order on the wire (a typed
            // client runs push handlers concurrently, as grest-ts does).
            var fast = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            var slow = try await RawPeer("ws://127.0.0.1:\(port)/ws/public")
            for index in [0, 1] {
                try await (index == 0 ? fast : slow).send("h:::{}")
                #expect(await (index == 0 ? fast.next() : slow.next()) == "k:::null")
                try await (index == 0 ? fast : slow).send(#"r:PublicChat.sendMessage:1:{"text":"join","channelId":"room"}"#)
                #expect(await (index == 0 ? fast.next() : slow.next())?.hasPrefix("s:PublicChat.sendMessage:1:") == true)
            }
            #expect(broadcast.subscriberCount(of: "room") == 2)

            // The slow peer never reads again: its socket buffers fill, then its mailbox. The fast one reads each round
            // of 32 (under the mailbox limit) before the next is published.
            let chunk = String(repeating: "x", count: 16 << 10)
            let count = 2_000  // 32 MiB: far past what the kernel and the transport buffer for the slow peer
            let started = ContinuousClock.now
            var received: [Int] = []
            for round in stride(from: 0, to: count, by: 32) {
                for index in round..<min(round + 32, count) { try await broadcast.publish(ChatApi.newMessage, "\(index) \(chunk)", to: "room") }
                while received.count < min(round + 32, count), let frame = await fast.next() {
                    let data = frame.dropFirst("m:PublicChat.newMessage::\"".count)
                    received.append(Int(data.prefix { $0 != " " }) ?? -1)
                }
            }
            #expect(received == Array(0..<count), "the reading subscriber got every push, in order")
            print("broadcast: \(count) × 16 KiB to a reader beside a stalled peer in \(ContinuousClock.now - started)")
            #expect(broadcast.subscriberCount(of: "room") == 1, "the stalled peer was unsubscribed")

            // The stalled peer finds, after what was buffered for it, a 1013 close.
            while await slow.next() != nil {}
            #expect(await slow.connection.closeInfo.code.rawValue == 1013)
            _ = try await fast.connection.close()
        }
        let dropped = try metrics.expectCounter("grest_ws_broadcast_deliveries_total", [("api", "PublicChat"), ("result", "DROPPED_SLOW")])
        #expect(dropped.totalValue > 0)
    }
}

extension Inbox {
    /// Waits until `count` values arrived or `limit` passed.
    func wait(for count: Int, within limit: Duration) async -> [Value] {
        let start = ContinuousClock.now
        while all.count < count, ContinuousClock.now - start < limit { try? await Task.sleep(for: .milliseconds(5)) }
        return all
    }
}
