// The default load client of `make bench-ws`, the same binary against every server: a closed loop over N WebSocket
// connections on raw TCP, built to be much lighter than the servers under test (like wrk for HTTP).
//
//   ws-load-raw --url ws://127.0.0.1:PORT/echo --connections 50 --size 128 --duration 8 [--deflate] [--binary]
//
// - One NIO event loop thread (--threads), TCP_NODELAY. The client writes the HTTP upgrade request itself, reads
//   until the blank line, checks `101`, Sec-WebSocket-Accept and Sec-WebSocket-Extensions.
// - Frames: every client frame (masked with a fixed key) is built once at startup, and each round trip writes the
//   same ByteBuffer again (a retain, no copy). Of the server's frames only the header is parsed (server frames are
//   unmasked): payload bytes are counted and skipped until a data frame with FIN ends the message (fragmented
//   echoes are fine; control frames are skipped). No allocation per message in steady state.
// - --deflate offers `permessage-deflate; client_no_context_takeover` and fails the connection if the 101 does not
//   accept it. Every payload is raw-deflated once at startup (system zlib, sync flush, 00 00 ff ff removed) and
//   sent as one frame with RSV1. The client never inflates in the loop; the first echo of every connection is
//   inflated once (a fresh inflater: the server's context starts empty) and compared with what was sent, later
//   echoes only have their length checked (exact when uncompressed, plausible when compressed).
// - Latency of every round trip inside the measured window goes into a per-connection HdrHistogram (preallocated).
//
// Prints one JSON line with the same keys as ws-load: {"messages":N,"seconds":S,"msgPerSec":X,"p50us":…,"p99us":…,
// "errors":E,"allMessages":…,"clientCpuSeconds":…} plus "client", "threads" and the negotiated "extensions".
import ArgumentParser
import CBenchZlib
import NIOCore
import NIOPosix
import WSBenchPayload

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct WSLoadRaw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-load-raw",
        abstract: "Light closed-loop WebSocket echo load (raw NIO): throughput and round-trip latency percentiles, as JSON."
    )

    @Option(help: "WebSocket URL of an echo server (ws://host:port/path).")
    var url: String

    @Option(help: "Concurrent connections, each with one message in flight.")
    var connections = 50

    @Option(help: "Message size in bytes.")
    var size = 128

    @Option(help: "Measured seconds.")
    var duration: Double = 10

    @Option(help: "Seconds of load before the measured window starts (not counted).")
    var warmup: Double = 1

    @Flag(help: "Offer permessage-deflate (client_no_context_takeover) and send every message compressed.")
    var deflate = false

    @Option(help: "With --deflate: zlib level of the pre-compressed messages (1, as ws-load).")
    var compressionLevel: Int32 = 1

    @Flag(help: "Send binary messages instead of text.")
    var binary = false

    @Option(help: "Distinct payloads cycled through (same bytes as ws-load).")
    var payloads = 16

    @Option(help: "Event-loop threads of the client.")
    var threads = 1

    func validate() throws {
        guard self.connections > 0, self.size > 0, self.duration > 0, self.payloads > 0, self.threads > 0 else {
            throw ValidationError("connections, size, duration, payloads and threads must be positive")
        }
        guard (try? WSURL(self.url)) != nil else { throw ValidationError("--url must look like ws://host:port/path") }
    }

    func run() throws {
        let cpuBefore = cpuSeconds()
        let target = try WSURL(self.url)
        let plain = (0..<self.payloads).map { Payload.make(size: self.size, seed: UInt64($0) &+ 1) }
        var frames: [ByteBuffer] = []
        for payload in plain {
            let body = self.deflate ? try compress(payload, level: self.compressionLevel) : payload
            frames.append(clientFrame(opcode: self.binary ? 0x2 : 0x1, rsv1: self.deflate, payload: body))
        }
        let shared = Shared(
            request: upgradeRequest(target, deflate: self.deflate),
            frames: frames,
            payloads: plain,
            closeFrame: clientFrame(opcode: 0x8, rsv1: false, payload: ByteBuffer(bytes: [0x03, 0xE8])),
            size: self.size,
            deflate: self.deflate
        )

        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
        defer { try? group.syncShutdownGracefully() }
        let frameCount = frames.count
        var connections: [Connection] = []
        for index in 0..<self.connections {
            let loop = group.next()
            let connection = Connection(
                ready: loop.makePromise(),
                start: loop.makePromise(),
                finished: loop.makePromise(),
                channel: nil
            )
            let handlerIndex = index
            let channel = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            LoadHandler(shared: shared, first: handlerIndex % frameCount, connection: connection)
                        )
                    }
                }
                .connect(host: target.host, port: target.port)
            channel.whenFailure { error in
                connection.ready.fail(error)
                connection.finished.succeed(ConnectionResult(errors: 1, failure: "connect: \(error)"))
            }
            connections.append(Connection(ready: connection.ready, start: connection.start, finished: connection.finished, channel: channel))
        }

        // Start the clock once every connection has finished its handshake (or failed; each has its own timeout).
        var extensions: String?
        for connection in connections {
            if let negotiated = try? connection.ready.futureResult.wait(), extensions == nil { extensions = negotiated }
        }
        let start = NIODeadline.now() + .nanoseconds(Int64(self.warmup * 1e9))
        let window = LoadWindow(start: start.uptimeNanoseconds, end: start.uptimeNanoseconds + UInt64(self.duration * 1e9))
        for connection in connections { connection.start.succeed(window) }
        // A connection whose echo never comes back is closed 5 s after the window (counted as an error).
        let all = connections
        let reaper = group.next().scheduleTask(deadline: start + .nanoseconds(Int64(self.duration * 1e9)) + .seconds(5)) {
            for connection in all { connection.channel?.whenSuccess { $0.close(promise: nil) } }
        }
        var results: [ConnectionResult] = []
        for connection in connections {
            results.append((try? connection.finished.futureResult.wait()) ?? ConnectionResult(errors: 1, failure: "lost"))
        }
        reaper.cancel()
        let cpu = cpuSeconds() - cpuBefore

        let report = LoadReport(results)
        report.reportFailures(client: "ws-load-raw")
        let json = report.json(
            seconds: self.duration, connections: self.connections, size: self.size, deflate: self.deflate, binary: self.binary,
            cpuSeconds: cpu, client: "ws-load-raw", extra: ["\"threads\":\(self.threads)", "\"extensions\":\(jsonString(extensions ?? ""))"])
        print(json)
    }
}

// MARK: - Set-up

struct WSURL {
    var host: String
    var port: Int
    var path: String

    init(_ url: String) throws {
        guard url.hasPrefix("ws://") else { throw ValidationError("only ws:// URLs") }
        let rest = url.dropFirst(5)
        let authority = rest.prefix { $0 != "/" }
        self.path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
        if let colon = authority.lastIndex(of: ":") {
            guard let port = Int(authority[authority.index(after: colon)...]), port > 0 else {
                throw ValidationError("bad port in \(url)")
            }
            self.host = String(authority[..<colon])
            self.port = port
        } else {
            self.host = String(authority)
            self.port = 80
        }
        guard !self.host.isEmpty else { throw ValidationError("no host in \(url)") }
    }
}

/// RFC 6455's example key and its accept value: a fixed key is fine for a benchmark and lets the 101 be checked
/// without a SHA-1.
let secWebSocketKey = "dGhlIHNhbXBsZSBub25jZQ=="
let secWebSocketAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

func upgradeRequest(_ url: WSURL, deflate: Bool) -> ByteBuffer {
    var text = "GET \(url.path) HTTP/1.1\r\nHost: \(url.host):\(url.port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    text += "Sec-WebSocket-Key: \(secWebSocketKey)\r\nSec-WebSocket-Version: 13\r\n"
    if deflate { text += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n" }
    text += "\r\n"
    return ByteBuffer(string: text)
}

/// One masked client frame, FIN set (a fixed masking key: the server unmasks whatever key it gets).
func clientFrame(opcode: UInt8, rsv1: Bool, payload: ByteBuffer) -> ByteBuffer {
    let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    let length = payload.readableBytes
    var frame = ByteBuffer()
    frame.reserveCapacity(length + 14)
    frame.writeInteger(0x80 | (rsv1 ? 0x40 : 0) | opcode, as: UInt8.self)
    if length < 126 {
        frame.writeInteger(0x80 | UInt8(length), as: UInt8.self)
    } else if length <= 0xFFFF {
        frame.writeInteger(0x80 | 126, as: UInt8.self)
        frame.writeInteger(UInt16(length))
    } else {
        frame.writeInteger(0x80 | 127, as: UInt8.self)
        frame.writeInteger(UInt64(length))
    }
    frame.writeBytes(mask)
    for (index, byte) in payload.readableBytesView.enumerated() {
        frame.writeInteger(byte ^ mask[index & 3], as: UInt8.self)
    }
    return frame
}

struct CompressionFailed: Error, CustomStringConvertible {
    var description: String { "zlib could not compress the payload" }
}

/// One permessage-deflate message body (raw deflate, sync flush, without the 00 00 ff ff tail).
func compress(_ payload: ByteBuffer, level: Int32) throws -> ByteBuffer {
    let input = Array(payload.readableBytesView)
    var output = [UInt8](repeating: 0, count: input.count + input.count / 8 + 64)
    let capacity = output.count
    let produced = output.withUnsafeMutableBufferPointer { out in
        input.withUnsafeBufferPointer { bench_pmd_compress($0.baseAddress, $0.count, out.baseAddress, capacity, level) }
    }
    guard produced >= 0 else { throw CompressionFailed() }
    return ByteBuffer(bytes: output[0..<produced])
}

/// Inflates one compressed message with a fresh inflater (nil if it is not valid raw deflate or longer than `limit`).
func decompress(_ body: ByteBuffer, limit: Int) -> [UInt8]? {
    let input = Array(body.readableBytesView)
    var output = [UInt8](repeating: 0, count: limit + 1)
    let capacity = output.count
    let produced = output.withUnsafeMutableBufferPointer { out in
        input.withUnsafeBufferPointer { bench_pmd_decompress($0.baseAddress, $0.count, out.baseAddress, capacity) }
    }
    guard produced >= 0, produced <= limit else { return nil }
    return Array(output[0..<produced])
}

// MARK: - The connection

struct Shared: Sendable {
    var request: ByteBuffer
    var frames: [ByteBuffer]
    var payloads: [ByteBuffer]
    var closeFrame: ByteBuffer
    var size: Int
    var deflate: Bool
}

struct LoadWindow: Sendable {
    var start: UInt64  // uptime nanoseconds
    var end: UInt64
}

/// What the main thread and one handler share: all promises, completed from the connection's event loop.
struct Connection: Sendable {
    var ready: EventLoopPromise<String>  // the negotiated Sec-WebSocket-Extensions
    var start: EventLoopPromise<LoadWindow>
    var finished: EventLoopPromise<ConnectionResult>
    var channel: EventLoopFuture<Channel>?
}

final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case handshake, waiting, running, closing, done }

    private let shared: Shared
    private let connection: Connection
    private var phase = Phase.handshake
    private var context: ChannelHandlerContext?
    private var response = ByteBuffer()
    private var window = LoadWindow(start: 0, end: 0)
    private var next: Int
    private var sentIndex = 0
    private var sentAt: UInt64 = 0
    private var result = ConnectionResult(
        histogram: ConnectionResult.makeHistogram()
    )

    // Frame parser state (server frames: 2–10 header bytes, never masked).
    private var header: [UInt8] = []
    private var headerNeeded = 2
    private var payloadRemaining = 0
    private var frameOpcode: UInt8 = 0
    private var frameFin = false
    private var messageBytes = 0
    private var messageCompressed = false
    /// The first echo's payload, kept to check it against what was sent; nil afterwards.
    private var capture: ByteBuffer? = ByteBuffer()

    init(shared: Shared, first: Int, connection: Connection) {
        self.shared = shared
        self.next = first
        self.connection = connection
        self.header.reserveCapacity(16)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.shared.request), promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(10)) {
            if self.phase == .handshake { self.fail("no 101 within 10 s") }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch self.phase {
        case .handshake: self.fail("connection closed during the handshake")
        case .waiting, .running: self.fail("connection closed before the window ended")
        case .closing, .done: break
        }
        self.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.fail("\(error)")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        if self.phase == .handshake {
            self.response.writeBuffer(&buffer)
            guard let end = self.response.readableBytesView.firstRange(of: [13, 10, 13, 10]) else {
                if self.response.readableBytes > 16_384 { self.fail("no end of the 101 headers in 16 KiB") }
                return
            }
            let headerLength = end.upperBound - self.response.readableBytesView.startIndex
            let head = self.response.readString(length: headerLength) ?? ""
            buffer = self.response  // bytes after the headers are frames already
            self.response = ByteBuffer()
            guard self.handshake(head) else { return }
        }
        if self.phase != .done { self.parse(&buffer) }
    }

    /// Checks the 101 and waits for the start of the run.
    private func handshake(_ head: String) -> Bool {
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let status = lines.first, status.hasPrefix("HTTP/1.1 101") else {
            self.fail("upgrade refused: \(lines.first ?? "")")
            return false
        }
        var accept = ""
        var extensions = ""
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if name == "sec-websocket-accept" { accept = value }
            if name == "sec-websocket-extensions" { extensions += extensions.isEmpty ? value : ", " + value }
        }
        guard accept == secWebSocketAccept else {
            self.fail("wrong Sec-WebSocket-Accept: \(accept)")
            return false
        }
        if self.shared.deflate {
            guard extensions.lowercased().hasPrefix("permessage-deflate") else {
                self.fail("permessage-deflate offered but not accepted (Sec-WebSocket-Extensions: \(extensions))")
                return false
            }
            if extensions.lowercased().contains("client_max_window_bits") {
                self.fail("server asked for client_max_window_bits, which was not offered: \(extensions)")
                return false
            }
        } else if !extensions.isEmpty {
            self.fail("no extension offered but the server answered \(extensions)")
            return false
        }
        self.phase = .waiting
        self.connection.ready.succeed(extensions)
        self.connection.start.futureResult.assumeIsolated().whenSuccess { window in
            guard self.phase == .waiting else { return }
            self.window = window
            self.phase = .running
            self.send()
        }
        return true
    }

    private func send() {
        guard let context = self.context else { return }
        self.sentIndex = self.next
        self.next = self.next + 1 == self.shared.frames.count ? 0 : self.next + 1
        self.sentAt = NIODeadline.now().uptimeNanoseconds
        context.writeAndFlush(self.wrapOutboundOut(self.shared.frames[self.sentIndex]), promise: nil)
    }

    private func parse(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes > 0 && self.phase != .done {
            if self.payloadRemaining > 0 {
                let count = min(self.payloadRemaining, buffer.readableBytes)
                if var capture = self.capture, self.frameOpcode < 8 {
                    self.capture = nil  // keep the storage uniquely referenced while appending
                    capture.writeImmutableBuffer(buffer.readSlice(length: count)!)
                    self.capture = capture
                } else {
                    buffer.moveReaderIndex(forwardBy: count)
                }
                self.payloadRemaining -= count
                if self.payloadRemaining == 0 { self.frameEnded() }
                continue
            }
            while self.header.count < self.headerNeeded, let byte = buffer.readInteger(as: UInt8.self) {
                self.header.append(byte)
            }
            guard self.header.count == self.headerNeeded else { return }
            if self.headerNeeded == 2 {
                guard self.header[1] & 0x80 == 0 else { return self.fail("masked frame from the server") }
                switch self.header[1] & 0x7F {
                case 126: self.headerNeeded = 4
                case 127: self.headerNeeded = 10
                default: break
                }
                if self.headerNeeded > 2 { continue }
            }
            var length = 0
            switch self.headerNeeded {
            case 4: length = Int(self.header[2]) << 8 | Int(self.header[3])
            case 10: for index in 2..<10 { length = length << 8 | Int(self.header[index]) }
            default: length = Int(self.header[1] & 0x7F)
            }
            let first = self.header[0]
            self.header.removeAll(keepingCapacity: true)
            self.headerNeeded = 2
            self.frameFin = first & 0x80 != 0
            self.frameOpcode = first & 0x0F
            if self.frameOpcode == 1 || self.frameOpcode == 2 {  // a new message
                self.messageBytes = 0
                self.messageCompressed = first & 0x40 != 0
            } else if self.frameOpcode != 0 && self.frameOpcode < 8 {
                return self.fail("unknown opcode \(self.frameOpcode)")
            }
            if self.frameOpcode < 8 { self.messageBytes += length }
            self.payloadRemaining = length
            if length == 0 { self.frameEnded() }
        }
    }

    private func frameEnded() {
        if self.frameOpcode >= 8 {  // control frames: only a close matters
            if self.frameOpcode == 0x8 {
                if self.phase != .closing { self.fail("the server closed the connection") }
                self.phase = .done
                self.context?.close(promise: nil)
            }
            return
        }
        guard self.frameFin else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        guard self.phase == .running else { return self.fail("an unexpected message from the server") }
        self.check()
        self.result.allMessages += 1
        if self.sentAt >= self.window.start && now <= self.window.end {
            self.result.messages += 1
            _ = self.result.histogram?.record(max(1, (now - self.sentAt) / 1000))
        }
        if now >= self.window.end {
            self.phase = .closing
            self.context?.writeAndFlush(self.wrapOutboundOut(self.shared.closeFrame), promise: nil)
        } else {
            self.send()
        }
    }

    /// The length of every echo; the content of the first one.
    private func check() {
        if self.messageCompressed && !self.shared.deflate {
            self.result.errors += 1
            self.result.failure = self.result.failure ?? "compressed reply without permessage-deflate"
        } else if self.messageCompressed {
            // Compressed replies: a plausible length (deflate can grow incompressible data by a few bytes).
            if self.messageBytes == 0 || self.messageBytes > self.shared.size + self.shared.size / 8 + 64 {
                self.result.errors += 1
            }
        } else if self.messageBytes != self.shared.size {
            self.result.errors += 1
        }
        guard let capture = self.capture else { return }
        self.capture = nil
        let sent = Array(self.shared.payloads[self.sentIndex].readableBytesView)
        let echoed = self.messageCompressed ? decompress(capture, limit: self.shared.size) : Array(capture.readableBytesView)
        if echoed != sent {
            self.result.errors += 1
            self.result.failure = self.result.failure ?? "the first echo differs from what was sent (\(echoed?.count ?? -1) bytes)"
        }
    }

    private func fail(_ reason: String) {
        self.result.errors += 1
        if self.result.failure == nil { self.result.failure = reason }
        if self.phase == .handshake { self.connection.ready.fail(LoadFailure(reason: reason)) }
        self.phase = .done
        self.context?.close(promise: nil)
    }

    private func finish() {
        if self.phase == .handshake {
            self.connection.ready.fail(LoadFailure(reason: "closed"))
        }
        self.phase = .done
        self.connection.finished.succeed(self.result)
        self.context = nil
    }
}

struct LoadFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { self.reason }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
