import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

@testable import GrestWebSocketTransport

/// ``WebSocketOutboundQueue`` driven by event sequences: sends, closes, pongs and writability, no channel.
@Suite("WebSocketOutboundQueue")
struct WebSocketOutboundQueueTests {
    let loop = EmbeddedEventLoop()

    func frame(_ opcode: WebSocketOpcode = .binary, bytes: Int) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(repeating: 0x61, count: bytes))
    }

    /// Enqueues a message as the driver does after ``WebSocketOutboundQueue/send(bytes:isWritable:isReserved:)``.
    func enqueue(_ queue: inout WebSocketOutboundQueue, bytes: Int) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        queue.enqueue(frame(bytes: bytes), promise: promise)
        return promise.futureResult
    }

    @Test func writableSocketWithEmptyQueueWritesDirectly() {
        let queue = WebSocketOutboundQueue(maxQueuedBytes: 10)
        #expect(queue.send(bytes: 1_000, isWritable: true, isReserved: false) == .write)
        #expect(queue.isDirectWriteOpen(isWritable: true, canSend: true))
        #expect(!queue.isDirectWriteOpen(isWritable: false, canSend: true))
        #expect(!queue.isDirectWriteOpen(isWritable: true, canSend: false))
    }

    @Test func unwritableSocketQueuesUpToTheLimit() {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 10)
        #expect(queue.send(bytes: 6, isWritable: false, isReserved: false) == .enqueue)
        _ = enqueue(&queue, bytes: 6)
        #expect(queue.queuedBytes == 6)
        #expect(queue.send(bytes: 4, isWritable: false, isReserved: false) == .enqueue)
        #expect(queue.send(bytes: 5, isWritable: false, isReserved: false) == .refuse)
        // A fast-path message's sender has returned already: it is queued past the limit, not dropped unseen.
        #expect(queue.send(bytes: 5, isWritable: false, isReserved: true) == .enqueue)
        #expect(!queue.isDirectWriteOpen(isWritable: true, canSend: true))
        _ = queue.dropAll()
    }

    @Test func writableAgainStillQueuesBehindWaitingMessages() {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 10)
        _ = enqueue(&queue, bytes: 8)
        // Writing now would overtake the queued message; the limit applies as while unwritable.
        #expect(queue.send(bytes: 2, isWritable: true, isReserved: false) == .enqueue)
        #expect(queue.send(bytes: 3, isWritable: true, isReserved: false) == .refuse)
        _ = queue.dropAll()
    }

    @Test func drainsInOrderWhileWritable() throws {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 100)
        _ = enqueue(&queue, bytes: 1)
        _ = enqueue(&queue, bytes: 2)
        #expect(queue.close(frame(.connectionClose, bytes: 2), isWritable: true) == .hold)
        #expect(queue.next(isWritable: false) == nil)
        var lengths: [Int] = []
        var closes = 0
        while let entry = queue.next(isWritable: true) {
            switch entry {
            case .message(let frame, let promise):
                lengths.append(frame.length)
                promise.succeed()
            case .close:
                closes += 1
            }
        }
        #expect(lengths == [1, 2])
        #expect(closes == 1)
        #expect(queue.queuedBytes == 0)
        #expect(queue.isEmpty)
    }

    @Test func drainStopsWhenTheSocketTurnsUnwritable() {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 100)
        _ = enqueue(&queue, bytes: 3)
        _ = enqueue(&queue, bytes: 4)
        guard case .message(_, let promise) = queue.next(isWritable: true) else {
            Issue.record("the first message comes first")
            return
        }
        promise.succeed()
        #expect(queue.next(isWritable: false) == nil)
        #expect(queue.queuedBytes == 4)
        #expect(queue.count == 1)
        _ = queue.dropAll()
    }

    @Test func closeIsWrittenAtOnceOnlyWithNothingWaiting() {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 100)
        #expect(queue.close(frame(.connectionClose, bytes: 2), isWritable: true) == .write)
        #expect(queue.isEmpty)
        #expect(queue.close(frame(.connectionClose, bytes: 2), isWritable: false) == .hold)
        #expect(queue.count == 1)
    }

    @Test func onlyTheLatestPongIsHeld() {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 100)
        #expect(queue.pong(ByteBuffer(string: "1"), isWritable: true) == .write)
        #expect(!queue.hasPendingPong)
        #expect(queue.pong(ByteBuffer(string: "2"), isWritable: false) == .hold)
        #expect(queue.pong(ByteBuffer(string: "3"), isWritable: false) == .hold)
        #expect(queue.takePong(isWritable: false, isClosed: false) == nil)
        #expect(queue.takePong(isWritable: true, isClosed: false) == ByteBuffer(string: "3"))
        #expect(queue.takePong(isWritable: true, isClosed: false) == nil)
        // No pong once the connection closed.
        _ = queue.pong(ByteBuffer(string: "4"), isWritable: false)
        #expect(queue.takePong(isWritable: true, isClosed: true) == nil)
    }

    @Test func closingFailsEveryWaitingMessage() throws {
        var queue = WebSocketOutboundQueue(maxQueuedBytes: 100)
        let first = enqueue(&queue, bytes: 5)
        _ = queue.close(frame(.connectionClose, bytes: 2), isWritable: false)
        let second = enqueue(&queue, bytes: 6)
        _ = queue.pong(ByteBuffer(string: "p"), isWritable: false)
        #expect(queue.dropAll() == 2)
        #expect(queue.isEmpty)
        #expect(queue.queuedBytes == 0)
        #expect(!queue.hasPendingPong)
        #expect(throws: WebSocketError.connectionClosed) { try first.wait() }
        #expect(throws: WebSocketError.connectionClosed) { try second.wait() }
    }
}

extension WebSocketOutboundQueue {
    /// Fails every waiting message as the driver does on close; returns how many there were.
    mutating func dropAll() -> Int {
        var count = 0
        while let promise = self.dropNext() {
            promise.fail(WebSocketError.connectionClosed)
            count += 1
        }
        return count
    }
}
