import Synchronization
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

final class FakeConnection: PoolableConnection {
    let name: String
    private let closes = Mutex<[Bool]>([])

    init(name: String) { self.name = name }

    func close(graceful: Bool) async { closes.withLock { $0.append(graceful) } }
    var closeCalls: [Bool] { closes.withLock { $0 } }
}

/// Counts opens and lets a test hold them until released.
final class Opener: Sendable {
    private let state = Mutex<(count: Int, gate: CheckedContinuation<Void, Never>?, held: Bool)>((0, nil, false))

    init(held: Bool = false) { state.withLock { $0.held = held } }

    var count: Int { state.withLock { $0.count } }

    func open(_ name: String) async throws -> FakeConnection {
        let held = state.withLock { state -> Bool in
            state.count += 1
            return state.held
        }
        if held { await withCheckedContinuation { continuation in state.withLock { $0.gate = continuation } } }
        return FakeConnection(name: name)
    }

    /// Releases a held open once it is waiting.
    func release() async {
        while true {
            let gate = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.gate = nil }
                return state.gate
            }
            if let gate { gate.resume(); return }
            await Task.yield()
        }
    }
}

@Suite("Socket pool", .timeLimit(.minutes(2)))
struct SocketPoolTests {
    @Test func keyDigestIsSHA256OfTheLengthPrefixedMaterial() {
        // "3:url0:" + "6:header5:value" → a fixed, documented digest prefix: keys are stable across runs.
        let key = SocketPoolKey(url: "url", headers: ["header": "value"])
        #expect(key.value.hasPrefix("url#"))
        #expect(key.value.count == "url#".count + 32)
        #expect(key == SocketPoolKey(url: "url", headers: ["header": "value"]))
        #expect(key != SocketPoolKey(url: "url", headers: ["header": "other"]))
    }

    @Test func keysNeverContainTokensAndAreStable() {
        let url = "wss://user:pw@chat.example:8443/ws/chat?token=secret-query#frag"
        let key = SocketPoolKey(url: url, headers: ["authorization": "Bearer secret-token"])
        #expect(!key.value.contains("secret"))
        #expect(!key.value.contains("pw"))
        #expect(key.value.hasPrefix("wss://chat.example:8443/ws/chat#"))
        #expect(key == SocketPoolKey(url: url, headers: ["authorization": "Bearer secret-token"]))
        #expect(key != SocketPoolKey(url: url, headers: ["authorization": "Bearer other"]))
        #expect(key != SocketPoolKey(url: url, headers: [:]))
        #expect(key != SocketPoolKey(url: url, headers: ["authorization": "Bearer secret-token"], group: "g"))
        // Header order does not matter; separators inside values cannot fake another header set.
        #expect(SocketPoolKey(url: "ws://h/p", headers: ["a": "1", "b": "2"]) == SocketPoolKey(url: "ws://h/p", headers: ["b": "2", "a": "1"]))
        #expect(SocketPoolKey(url: "ws://h/p", headers: ["a": "1&b=2"]) != SocketPoolKey(url: "ws://h/p", headers: ["a": "1", "b": "2"]))
        // Stable across runs: a fixed expected value.
        #expect(SocketPoolKey(url: "ws://localhost:3000/ws/chat", headers: [:]).value.count == "ws://localhost:3000/ws/chat#".count + 32)
    }

    @Test func sameKeySharesOneConnectionAndLastDetachCloses() async throws {
        let pool = SocketPool<FakeConnection>()
        let opener = Opener()
        let key = SocketPoolKey(url: "ws://localhost/ws/chat", headers: [:])
        let a = try await pool.getOrCreate(key: key) { try await opener.open("one") }
        let b = try await pool.getOrCreate(key: key) { try await opener.open("two") }
        #expect(a.connection === b.connection)
        #expect(opener.count == 1)
        #expect(await pool.size == 1)
        #expect(await pool.handleCount(for: key) == 2)
        await pool.detach(a)
        await pool.detach(a)  // idempotent
        #expect(a.connection.closeCalls.isEmpty)
        #expect(await pool.size == 1)
        await pool.detach(b)
        #expect(a.connection.closeCalls == [true])
        #expect(await pool.size == 0)
    }

    @Test func concurrentOpensShareOnePendingOpen() async throws {
        let pool = SocketPool<FakeConnection>()
        let opener = Opener(held: true)
        let key = SocketPoolKey(url: "ws://localhost/ws/chat", headers: ["authorization": "Bearer t"])
        async let first = pool.getOrCreate(key: key) { try await opener.open("one") }
        async let second = pool.getOrCreate(key: key) { try await opener.open("two") }
        while await pool.pendingSize == 0 { await Task.yield() }
        #expect(await pool.pendingSize == 1)
        await opener.release()
        let (a, b) = try await (first, second)
        #expect(a.connection === b.connection)
        #expect(opener.count == 1)
        #expect(await pool.pendingSize == 0)
        #expect(await pool.handleCount(for: key) == 2)
    }

    @Test func failedOpenReachesEveryWaiterAndLeavesNoEntry() async throws {
        let pool = SocketPool<FakeConnection>()
        let key = SocketPoolKey(url: "ws://localhost/x", headers: [:])
        await #expect(throws: Failure.self) { try await pool.getOrCreate(key: key) { throw Failure() } }
        #expect(await pool.size == 0)
        #expect(await pool.pendingSize == 0)
        let handle = try await pool.getOrCreate(key: key) { FakeConnection(name: "retry") }
        #expect(handle.connection.name == "retry")
    }

    @Test func differentKeysGetDifferentConnections() async throws {
        let pool = SocketPool<FakeConnection>()
        let a = try await pool.getOrCreate(key: SocketPoolKey(url: "ws://h/p", headers: ["authorization": "A"])) { FakeConnection(name: "a") }
        let b = try await pool.getOrCreate(key: SocketPoolKey(url: "ws://h/p", headers: ["authorization": "B"])) { FakeConnection(name: "b") }
        #expect(a.connection !== b.connection)
        #expect(await pool.size == 2)
        #expect(await pool.connectionKeys.allSatisfy { !$0.value.contains("authorization") })
    }

    @Test func closeAllClosesEverythingIncludingPendingOpens() async throws {
        let pool = SocketPool<FakeConnection>()
        let open = try await pool.getOrCreate(key: SocketPoolKey(url: "ws://h/a", headers: [:])) { FakeConnection(name: "a") }
        let opener = Opener(held: true)
        let pendingKey = SocketPoolKey(url: "ws://h/b", headers: [:])
        let waiter = Task { try await pool.getOrCreate(key: pendingKey) { try await opener.open("b") } }
        while await pool.pendingSize == 0 { await Task.yield() }
        async let closing: Void = pool.closeAll(graceful: false)
        await opener.release()
        await closing
        #expect(open.connection.closeCalls == [false])
        await #expect(throws: SocketPoolError.removedWhileOpening) { try await waiter.value }
        #expect(await pool.size == 0)
        #expect(await pool.pendingSize == 0)
    }

    @Test func removeFromPoolDoesNotClose() async throws {
        let pool = SocketPool<FakeConnection>()
        let key = SocketPoolKey(url: "ws://h/a", headers: [:])
        let handle = try await pool.getOrCreate(key: key) { FakeConnection(name: "a") }
        #expect(await pool.removeFromPool(key))
        #expect(await pool.size == 0)
        #expect(handle.connection.closeCalls.isEmpty)
        // A stale handle detaching does not touch a newer connection under the same key.
        let fresh = try await pool.getOrCreate(key: key) { FakeConnection(name: "b") }
        await pool.detach(handle)
        #expect(fresh.connection.closeCalls.isEmpty)
        #expect(await pool.size == 1)
    }

    @Test func connectionEndedDropsTheEntry() async throws {
        let pool = SocketPool<FakeConnection>()
        let key = SocketPoolKey(url: "ws://h/a", headers: [:])
        let handle = try await pool.getOrCreate(key: key) { FakeConnection(name: "a") }
        await pool.connectionEnded(handle)
        #expect(await pool.size == 0)
        let next = try await pool.getOrCreate(key: key) { FakeConnection(name: "b") }
        #expect(next.connection.name == "b")
    }
}
