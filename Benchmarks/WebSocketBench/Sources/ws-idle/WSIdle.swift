// Idle-connection memory probe of `make bench-ws`: opens N WebSocket connections (raw NIO client upgrade, a few
// hundred bytes of client state each), optionally offering permessage-deflate, and holds them open and silent.
// With --server-pid it measures the SERVER's resident memory (VmRSS in /proc/PID/status) before and after the N
// connections and prints the difference per connection as JSON.
//
//   ws-idle --url ws://127.0.0.1:PORT/echo --connections 10000 [--deflate] [--server-pid PID] [--exit-when-ready]
//
// Prints `ready N` once every connection is upgraded (then the JSON line when --server-pid is given) and holds the
// connections until stdin is closed or SIGTERM/SIGINT arrives (or exits at once with --exit-when-ready).
import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct WSIdle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-idle",
        abstract: "Hold N idle WebSocket connections open; optionally report the server's RSS per connection."
    )

    @Option(help: "WebSocket URL (ws://host:port/path).")
    var url: String

    @Option(help: "Idle connections to open.")
    var connections = 10_000

    @Flag(help: "Offer permessage-deflate in the handshake.")
    var deflate = false

    @Option(help: "Connection attempts in flight at once.")
    var concurrency = 128

    @Option(help: "Server process whose VmRSS is measured before and after opening the connections.")
    var serverPid: Int?

    @Option(help: "Connections opened (and kept) before the baseline RSS is read, so one-off first-connection costs are not counted.")
    var warmConnections = 100

    @Option(help: "Seconds to let the server settle before each RSS reading.")
    var settle: Double = 2

    @Flag(help: "Exit (closing every connection) as soon as the measurement is printed, instead of holding.")
    var exitWhenReady = false

    func run() async throws {
        guard let target = ParsedURL(self.url) else { throw ValidationError("cannot parse --url \(self.url)") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: min(2, System.coreCount))
        var channels: [any Channel] = []
        var failures = 0
        var firstFailure: String?
        channels.reserveCapacity(self.connections + self.warmConnections)

        func open(_ count: Int) async {
            var next = 0
            await withTaskGroup(of: Result<any Channel, any Error>.self) { tasks in
                func launch() {
                    next += 1
                    tasks.addTask {
                        do { return .success(try await connect(target, deflate: self.deflate, group: group)) } catch {
                            return .failure(error)
                        }
                    }
                }
                for _ in 0..<min(self.concurrency, count) { launch() }
                while let result = await tasks.next() {
                    switch result {
                    case .success(let channel): channels.append(channel)
                    case .failure(let error):
                        failures += 1
                        if firstFailure == nil { firstFailure = "\(error)" }
                    }
                    if next < count { launch() }
                }
            }
        }

        let warm = self.serverPid == nil ? 0 : self.warmConnections
        await open(warm)
        try await Task.sleep(for: .seconds(self.settle))
        let before = self.serverPid.flatMap(residentBytes)
        let warmOpen = channels.count
        await open(self.connections)
        let opened = channels.count - warmOpen
        if let firstFailure { standardError("ws-idle: \(failures) connection(s) failed, first: \(firstFailure)\n") }
        say("ready \(opened)\n")
        if let pid = self.serverPid, let before {
            try await Task.sleep(for: .seconds(self.settle))
            let after = residentBytes(pid) ?? before
            let perConnection = opened > 0 ? (after - before) / opened : 0
            say(
                "{\"connections\":\(opened),\"failed\":\(failures),\"deflate\":\(self.deflate),"
                    + "\"rssBeforeBytes\":\(before),\"rssAfterBytes\":\(after),\"bytesPerConnection\":\(perConnection)}\n"
            )
        }
        if !self.exitWhenReady { await waitForStdinClose() }
        for channel in channels { channel.close(promise: nil) }
        try? await Task.sleep(for: .milliseconds(200))
        try? await group.shutdownGracefully()
    }
}

struct ParsedURL: Sendable {
    var host: String
    var port: Int
    var path: String

    init?(_ string: String) {
        guard string.hasPrefix("ws://") else { return nil }
        let rest = string.dropFirst(5)
        let authority = rest.prefix { $0 != "/" }
        self.path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
        if let colon = authority.lastIndex(of: ":") {
            self.host = String(authority[..<colon])
            guard let port = Int(authority[authority.index(after: colon)...]) else { return nil }
            self.port = port
        } else {
            self.host = String(authority)
            self.port = 80
        }
    }
}

enum UpgradeOutcome: Sendable {
    case upgraded(any Channel)
    case declined
}

struct UpgradeDeclined: Error, CustomStringConvertible {
    var description: String { "the server declined the WebSocket upgrade" }
}

/// Connects and upgrades one connection; the returned channel stays idle (it only answers pings and closes).
func connect(_ target: ParsedURL, deflate: Bool, group: MultiThreadedEventLoopGroup) async throws -> any Channel {
    let outcome: EventLoopFuture<UpgradeOutcome> = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.so_reuseaddr), value: 1)
        .connectTimeout(.seconds(10))
        .connect(host: target.host, port: target.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeOutcome>(
                    maxFrameSize: 1 << 16,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(IdleFrameHandler())
                            return .upgraded(channel)
                        }
                    }
                )
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: "\(target.host):\(target.port)")
                if deflate {
                    headers.add(name: "Sec-WebSocket-Extensions", value: "permessage-deflate; client_max_window_bits")
                }
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<UpgradeOutcome>(
                    upgradeRequestHead: head,
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeSucceededFuture(.declined)
                    }
                )
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: .init(upgradeConfiguration: configuration)
                )
            }
        }
    switch try await outcome.get() {
    case .upgraded(let channel): return channel
    case .declined: throw UpgradeDeclined()
    }
}

/// Answers pings (masked, as a client must) and goes away on close; ignores everything else.
final class IdleFrameHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .ping:
            let pong = WebSocketFrame(
                fin: true,
                opcode: .pong,
                maskKey: .random(),
                data: frame.unmaskedData
            )
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }
}

/// VmRSS of a process, in bytes.
func residentBytes(_ pid: Int) -> Int? {
    guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 512)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(cString: line)
        if text.hasPrefix("VmRSS:") {
            let digits = text.dropFirst(6).filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
    }
    return nil
}

/// Returns when stdin reaches end of file (SIGTERM and SIGINT keep their default action: the process ends and the
/// kernel closes every connection).
func waitForStdinClose() async {
    try? await NIOThreadPool.singleton.runIfActive {
        var byte: UInt8 = 0
        while read(0, &byte, 1) > 0 {}
    }
}

func say(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
}

func standardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
