import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP client for tests that need to send what real clients would not (garbage, slow heads,
/// pipelined batches, raw WebSocket frames) and see the bytes that come back.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = Mutex<[UInt8]>([])
        let closed = Atomic<Bool>(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.store(true, ordering: .sequentiallyConsistent)
        }
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// - Parameter reading: `false` leaves the server's replies in the socket until ``startReading()`` (with a small
    ///   receive buffer, so they back up into the server).
    static func connect(port: Int, reading: Bool = true) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: reading)
            .channelOption(.socketOption(.so_rcvbuf), value: reading ? 1 << 17 : 4096)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Shuts down the client's write side (TCP half-close); the server still sees this side reading.
    func shutdownOutput() async throws {
        try await channel.close(mode: .output)
    }

    /// Starts reading a connection made with `reading: false`.
    func startReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
        channel.read()
    }

    var isClosed: Bool { collector.closed.load(ordering: .sequentiallyConsistent) }

    func close() async {
        try? await channel.close()
    }

    /// Waits until the server closes the connection; `false` on timeout.
    func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        let end = ContinuousClock.now + timeout
        while !isClosed, ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(5)) }
        return isClosed
    }

    /// Removes and returns the first `count` received bytes, waiting for them.
    func read(count: Int, timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let taken = collector.bytes.withLock({ bytes -> [UInt8]? in
                guard bytes.count >= count else { return nil }
                defer { bytes.removeFirst(count) }
                return Array(bytes.prefix(count))
            }) {
                return taken
            }
            if isClosed { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw RawError.timeout
    }

    /// Every byte received so far (for replies whose length is not in their head, e.g. to `HEAD`).
    func receivedBytes() -> [UInt8] { collector.bytes.withLock { $0 } }

    /// Reads one HTTP response (Content-Length bodies only).
    func readResponse(timeout: Duration = .seconds(5)) async throws -> RawResponse {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let response = collector.bytes.withLock({ RawResponse.take(from: &$0) }) { return response }
            if isClosed, let response = collector.bytes.withLock({ RawResponse.take(from: &$0) }) { return response }
            if isClosed { throw RawError.closed }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw RawError.timeout
    }

    enum RawError: Error { case timeout, closed }
}

struct RawResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func take(from bytes: inout [UInt8]) -> RawResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let headEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let headText = String(decoding: bytes[..<headEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n").map(String.init)
        let statusLine = lines.removeFirst()
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces)
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        let bodyStart = headEnd + 4
        guard bytes.count >= bodyStart + length else { return nil }
        let body = String(decoding: bytes[bodyStart..<bodyStart + length], as: UTF8.self)
        bytes.removeFirst(bodyStart + length)
        return RawResponse(status: status, headers: headers, body: body)
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
