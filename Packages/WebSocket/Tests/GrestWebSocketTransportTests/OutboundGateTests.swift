import NIOCore
import Synchronization
import Testing
import WebSocketCompression

@testable import GrestWebSocketTransport

@Suite("Off-loop send fast path", .timeLimit(.minutes(2)))
struct OutboundGateTests {
    @Test("the gate hands out its byte budget only while open, and gets it back")
    func budget() {
        let gate = OutboundGate(maxInFlightBytes: 100)
        #expect(!gate.tryReserve(1), "closed until the handler opens it")
        gate.setOpen(true)
        #expect(gate.tryReserve(60))
        #expect(gate.tryReserve(40))
        #expect(!gate.tryReserve(1), "budget spent: the sender takes the waiting path")
        #expect(gate.inFlight == 100)
        gate.release(60)
        #expect(!gate.tryReserve(101), "larger than the whole budget: always the waiting path")
        #expect(gate.tryReserve(60))
        gate.setOpen(false)
        #expect(!gate.tryReserve(0))
        gate.release(60)
        gate.release(40)
        #expect(gate.inFlight == 0)
    }

    @Test(
        "a burst of sends from a task keeps its order, arrives before the close that follows it, and a send after close throws",
        arguments: [false, true]
    )
    func burstKeepsOrder(deflate: Bool) async throws {
        let count = 3000
        let received = Mutex<[String]>([])
        let (done, finished) = AsyncStream.makeStream(of: WebSocketCloseInfo.self)
        try await withEchoServer(deflate: deflate, handler: { connection in
            for await message in connection.inbound {
                if case .text(let text) = message { received.withLock { $0.append(text) } }
            }
            finished.yield(await connection.closeInfo)
            finished.finish()
        }) { port in
            var configuration = WebSocketConfiguration()
            if deflate { configuration.compression = PerMessageDeflate() }
            let connection = try await WebSocketClient.connect(to: "ws://127.0.0.1:\(port)/", configuration: configuration)
            // No awaiting replies: most of these take the fast path (handed to the loop, not waited for).
            for index in 0..<count {
                try await connection.send(text: "message \(index) " + String(repeating: "x", count: index % 700))
            }
            let info = try await connection.close(code: .normalClosure, reason: "done")
            #expect(info.wasClean, "\(info)")
            await #expect(throws: WebSocketError.connectionClosed) { try await connection.send(text: "too late") }
            var serverSide = done.makeAsyncIterator()
            let serverInfo = await serverSide.next()
            #expect(serverInfo?.code == .normalClosure && serverInfo?.reason == "done")
        }
        let texts = received.withLock { $0 }
        #expect(texts.count == count)
        #expect(texts == (0..<count).map { "message \($0) " + String(repeating: "x", count: $0 % 700) })
    }
}
