import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

@Suite("Heartbeat", .timeLimit(.minutes(2)))
struct HeartbeatTests {
    let config = Heartbeat.Configuration(interval: .seconds(20), timeout: .seconds(10))

    @Test func pingsEveryIntervalWithProtocolPingPreferred() {
        var heartbeat = Heartbeat(configuration: config, now: t0)
        #expect(heartbeat.nextTick == t0 + .seconds(20))
        #expect(heartbeat.tick(now: t0 + .seconds(19)) == .none)
        #expect(heartbeat.tick(now: t0 + .seconds(20)) == .sendProtocolPing)
        #expect(heartbeat.tick(now: t0 + .seconds(21)) == .none)
    }

    @Test func appPingForGrestPeers() {
        var heartbeat = Heartbeat(configuration: .init(interval: .seconds(1), timeout: .seconds(1), usesProtocolPing: false), now: t0)
        #expect(heartbeat.tick(now: t0 + .seconds(1)) == .sendAppPing(Array("p:::".utf8)))
    }

    @Test func answersPWithO() {
        var heartbeat = Heartbeat(configuration: config, now: t0)
        #expect(heartbeat.frameReceived(kind: .ping, now: t0) == .sendAppPong(Array("o:::".utf8)))
        #expect(heartbeat.frameReceived(kind: .pong, now: t0) == .none)
    }

    @Test func anyInboundFrameKeepsThePeerAlive() {
        var heartbeat = Heartbeat(configuration: config, now: t0)
        for second in stride(from: 5, through: 300, by: 5) {
            let now = t0 + .seconds(second)
            // A data frame, a protocol pong (kind nil) or an app pong all count.
            _ = heartbeat.frameReceived(kind: second % 3 == 0 ? nil : .message, now: now)
            #expect(heartbeat.tick(now: now) != .peerDead)
        }
    }

    @Test func silentPeerIsDeadAfterIntervalPlusTimeout() {
        var heartbeat = Heartbeat(configuration: config, now: t0)
        #expect(heartbeat.tick(now: t0 + .seconds(20)) == .sendProtocolPing)
        #expect(heartbeat.tick(now: t0 + .seconds(30)) == .none)
        #expect(heartbeat.nextTick <= t0 + .seconds(40))
        #expect(heartbeat.tick(now: t0 + .seconds(30) + .milliseconds(1)) == .peerDead)
        // Reported once.
        #expect(heartbeat.tick(now: t0 + .seconds(60)) == .none)
    }
}
