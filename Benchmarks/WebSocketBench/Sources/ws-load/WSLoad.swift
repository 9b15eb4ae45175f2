// The one load client of `make bench-ws`, the same binary against every server: a closed loop over N WebSocket
// connections made with swift-websocket's WSClient (a neutral third-party client; permessage-deflate from
// WSCompression when --deflate). Each connection sends one message, waits for its echo, and sends the next; the
// time of every round trip inside the measured window goes into an HdrHistogram.
//
//   ws-load --url ws://127.0.0.1:PORT/echo --connections 50 --size 128 --duration 10 [--deflate] [--binary]
//
// prints one JSON line: {"messages":N,"seconds":S,"msgPerSec":X,"p50us":…,"p99us":…,"errors":E,…}
import ArgumentParser
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import WSBenchPayload
import WSClient
import WSCompression

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct WSLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-load",
        abstract: "Closed-loop WebSocket echo load: throughput and round-trip latency percentiles, as JSON."
    )

    @Option(help: "WebSocket URL of an echo server.")
    var url: String

    @Option(help: "Concurrent connections, each with one message in flight.")
    var connections = 50

    @Option(help: "Message size in bytes.")
    var size = 128

    @Option(help: "Measured seconds.")
    var duration: Double = 10

    @Option(help: "Seconds of load before the measured window starts (not counted).")
    var warmup: Double = 1

    @Flag(help: "Offer permessage-deflate (and compress what we send).")
    var deflate = false

    @Option(help: "With --deflate: smallest message the client compresses (0 = every message).")
    var compressThreshold = 0

    @Option(help: "With --deflate: zlib level of what the client sends (1 keeps the client's share of the CPU small; the servers use their defaults).")
    var compressionLevel = 1

    @Flag(help: "Send binary messages instead of text.")
    var binary = false

    @Option(help: "Distinct payloads cycled through (same bytes for every server, varied so deflate sees realistic data).")
    var payloads = 16

    @Option(help: "Event-loop threads of the client (default: one per core).")
    var threads = System.coreCount

    func validate() throws {
        guard self.connections > 0, self.size > 0, self.duration > 0, self.payloads > 0, self.threads > 0 else {
            throw ValidationError("connections, size, duration, payloads and threads must be positive")
        }
    }

    func run() async throws {
        let messages = (0..<self.payloads).map { Payload.make(size: self.size, seed: UInt64($0) &+ 1) }
        let opcode: WebSocketOpcode = self.binary ? .binary : .text
        let maxSize = max(1 << 20, self.size * 2)
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: maxSize,
            extensions: self.deflate
                ? [
                    .perMessageDeflate(
                        compressionLevel: self.compressionLevel,
                        maxDecompressedFrameSize: maxSize,
                        minFrameSizeToCompress: self.compressThreshold
                    )
                ]
                : [],
            autoPing: .disabled,
            validateUTF8: false  // the client is not under test; the servers validate
        )
        let logger = {
            var logger = Logger(label: "ws-load")
            logger.logLevel = .critical
            return logger
        }()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
        let state = LoadState(connections: self.connections)
        let url = self.url
        let rusageBefore = cpuSeconds()

        let results = await withTaskGroup(of: ConnectionResult.self, returning: [ConnectionResult].self) { tasks in
            for index in 0..<self.connections {
                tasks.addTask {
                    let box = NIOLockedValueBox(ConnectionResult())
                    do {
                        try await WebSocketClient.connect(
                            url: url,
                            configuration: configuration,
                            eventLoopGroup: group,
                            logger: logger
                        ) { inbound, outbound, _ in
                            var result = ConnectionResult(histogram: ConnectionResult.makeHistogram())
                            defer { box.withLockedValue { $0 = result } }
                            let window = await state.arrive()
                            var frames = inbound.makeAsyncIterator()
                            var next = index % messages.count
                            while true {
                                let payload = messages[next]
                                next = (next + 1) % messages.count
                                let sent = NIODeadline.now()
                                if sent >= window.end { break }
                                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: opcode, data: payload)))
                                // Reassemble the echo (it may come back fragmented); only its length is checked.
                                var received = 0
                                var complete = false
                                while let frame = try await frames.next() {
                                    received += frame.data.readableBytes
                                    if frame.fin { complete = true; break }
                                }
                                guard complete else { result.errors += 1; break }
                                let done = NIODeadline.now()
                                if received != payload.readableBytes { result.errors += 1 }
                                result.allMessages += 1
                                if sent >= window.start && done <= window.end {
                                    result.messages += 1
                                    let micros = UInt64(max(1, (done - sent).nanoseconds / 1000))
                                    _ = result.histogram?.record(micros)
                                }
                            }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                    } catch {
                        box.withLockedValue {
                            $0.errors += 1
                            $0.failure = "\(error)"
                        }
                    }
                    let result = box.withLockedValue { $0 }
                    state.leave()
                    return result
                }
            }
            // Start the clock once every connection is up (or has failed), at most 15 s after the first attempt.
            let connectDeadline = NIODeadline.now() + .seconds(15)
            while !state.allArrived && NIODeadline.now() < connectDeadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
            let start = NIODeadline.now() + .nanoseconds(Int64(self.warmup * 1e9))
            state.release(LoadWindow(start: start, end: start + .nanoseconds(Int64(self.duration * 1e9))))
            var all: [ConnectionResult] = []
            for await result in tasks { all.append(result) }
            return all
        }
        try? await group.shutdownGracefully()
        let cpu = cpuSeconds() - rusageBefore

        let report = LoadReport(results)
        report.reportFailures(client: "ws-load")
        let json = report.json(
            seconds: self.duration, connections: self.connections, size: self.size, deflate: self.deflate, binary: self.binary,
            cpuSeconds: cpu, client: "ws-load")
        print(json)
    }
}

struct LoadWindow: Sendable {
    var start: NIODeadline
    var end: NIODeadline
}

/// A start barrier: connections wait in `arrive()` until `release` hands out the measured window.
final class LoadState: Sendable {
    private struct State {
        var expected: Int
        var arrived = 0
        var window: LoadWindow?
        var waiting: [CheckedContinuation<LoadWindow, Never>] = []
    }
    private let state: NIOLockedValueBox<State>

    init(connections: Int) { self.state = NIOLockedValueBox(State(expected: connections)) }

    var allArrived: Bool { self.state.withLockedValue { $0.arrived >= $0.expected } }

    func arrive() async -> LoadWindow {
        await withCheckedContinuation { continuation in
            let ready: LoadWindow? = self.state.withLockedValue { state in
                state.arrived += 1
                if let window = state.window { return window }
                state.waiting.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// A connection that ended (or never connected) no longer holds the start back.
    func leave() {
        self.state.withLockedValue { $0.expected -= 1 }
    }

    func release(_ window: LoadWindow) {
        let waiting = self.state.withLockedValue { state in
            state.window = window
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume(returning: window) }
    }
}
