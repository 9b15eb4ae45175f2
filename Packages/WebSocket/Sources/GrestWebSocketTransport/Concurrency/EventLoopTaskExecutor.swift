import NIOCore

/// Runs Swift tasks on one NIO event loop, for `withTaskExecutorPreference(_:)` and `addTask(executorPreference:)`.
///
/// A connection handler that prefers its connection's event loop (``WebSocketConnection/eventLoopExecutor``)
/// receives and sends without a thread hop per message: inbound messages resume it on the loop, and
/// ``WebSocketConnection/send(_:)`` writes synchronously while the socket is writable. Such a handler must not
/// block: every connection on that loop waits while it runs.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
