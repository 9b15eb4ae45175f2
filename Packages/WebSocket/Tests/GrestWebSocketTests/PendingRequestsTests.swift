import GrestSchema
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore
import Foundation

@Suite("Pending requests", .timeLimit(.minutes(2)))
struct PendingRequestsTests {
    func sendID<W>(_ action: PendingRequests<W>.StartAction) -> UInt64? {
        if case .send(let id) = action { return id }
        return nil
    }

    @Test func idsStartAtOneAndMatchByIDOnly() throws {
        var pending = PendingRequests<String>()
        #expect(sendID(pending.start(path: "ChatApi.sendMessage", now: t0, waiter: "a")) == 1)
        #expect(sendID(pending.start(path: "ChatApi.whoAmI", now: t0, waiter: "b")) == 2)
        // The reply's PATH is not used for matching.
        guard case .resolve(let waiter, let path) = pending.responseReceived(frame(#"s:Other.path:2:{"success":true,"type":"OK"}"#))
        else { throw Failure() }
        #expect(waiter == "b")
        #expect(path == "ChatApi.whoAmI")
        #expect(pending.count == 1)
    }

    @Test func unknownAndDuplicateResponsesAreIgnored() throws {
        var pending = PendingRequests<String>()
        _ = pending.start(path: "A.b", now: t0, waiter: "a")
        guard case .ignoreUnknown = pending.responseReceived(frame("s:A.b:99:{}")) else { throw Failure() }
        guard case .resolve = pending.responseReceived(frame("s:A.b:1:{}")) else { throw Failure() }
        guard case .ignoreUnknown = pending.responseReceived(frame("s:A.b:1:{}")) else { throw Failure() }
        guard case .ignoreUnknown = pending.responseReceived(frame("s:A.b:18446744073709551:{}".replacingOccurrences(of: "18446744073709551", with: "9007199254740991"))) else { throw Failure() }
        #expect(pending.unknownResponseCount == 3)
    }

    @Test func floodBeyondTheBoundFailsWithServerError() throws {
        var pending = PendingRequests<Int>(maxInFlight: 3)
        for i in 0..<3 { #expect(sendID(pending.start(path: "A.b", now: t0, waiter: i)) != nil) }
        for i in 3..<100 {
            guard case .fail(let waiter, let error) = pending.start(path: "A.b", now: t0, waiter: i) else { throw Failure() }
            #expect(waiter == i)
            #expect(error.type == "SERVER_ERROR")
            #expect(error.displayMessage == "Too many requests in flight")
        }
        // Space frees up when an answer arrives; the counter kept going (no ID reuse).
        _ = pending.responseReceived(frame("s:A.b:2:{}"))
        #expect(sendID(pending.start(path: "A.b", now: t0, waiter: 0)) == 4)
    }

    @Test func timeoutsExpireAtTheirDeadline() throws {
        var pending = PendingRequests<String>(timeout: .seconds(30))
        _ = pending.start(path: "A.slow", now: t0, waiter: "default")
        _ = pending.start(path: "A.fast", now: t0, timeout: .milliseconds(1), waiter: "short")
        #expect(pending.nextDeadline == t0 + .milliseconds(1))
        #expect(pending.expire(now: t0).isEmpty)
        let first = pending.expire(now: t0 + .milliseconds(1))
        #expect(first.map(\.0) == ["short"])
        #expect(first.first?.1.type == "SERVER_ERROR")
        #expect(first.first?.1.displayMessage == "Request timeout")
        #expect(pending.expire(now: t0 + .seconds(29)).isEmpty)
        #expect(pending.expire(now: t0 + .seconds(30)).map(\.0) == ["default"])
        // The late answer is ignored.
        guard case .ignoreUnknown = pending.responseReceived(frame("s:A.fast:2:{}")) else { throw Failure() }
    }

    @Test func closeResolvesEveryPendingRequestAndRefusesNewOnes() throws {
        var pending = PendingRequests<String>()
        _ = pending.start(path: "A.b", now: t0, waiter: "a")
        _ = pending.start(path: "A.b", now: t0, waiter: "b")
        let closed = pending.close()
        #expect(closed.map(\.0) == ["a", "b"])
        #expect(closed.allSatisfy { $0.1.type == "SERVER_ERROR" && $0.1.displayMessage == "Socket connection closed!" })
        #expect(pending.isEmpty)
        guard case .fail(_, let error) = pending.start(path: "A.b", now: t0, waiter: "c") else { throw Failure() }
        #expect(error.displayMessage == "Socket connection closed!")
    }

    @Test func drainingRefusesNewRequestsButLetsOldOnesFinish() throws {
        var pending = PendingRequests<String>()
        _ = pending.start(path: "A.b", now: t0, waiter: "a")
        pending.beginDraining()
        guard case .fail = pending.start(path: "A.b", now: t0, waiter: "b") else { throw Failure() }
        guard case .resolve(let waiter, _) = pending.responseReceived(frame("s:A.b:1:{}")) else { throw Failure() }
        #expect(waiter == "a")
        #expect(pending.isEmpty)
    }

    @Test func cancelForgetsARequest() {
        var pending = PendingRequests<String>()
        _ = pending.start(path: "A.b", now: t0, waiter: "a")
        #expect(pending.cancel(id: 1) == "a")
        #expect(pending.cancel(id: 1) == nil)
    }
}
