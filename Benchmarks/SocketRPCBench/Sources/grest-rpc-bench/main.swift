// Typed socket RPC vs raw echo, same transport, same load client, same run.
//
// Server (one event-loop thread): `/ws/echo` echoes every text message; `/ws/chat` serves ChatApi.sendMessage
// through GrestWebSocket (frame decode, route, input validation, handler, reply encode). Load (another thread):
// CONNECTIONS sockets in a closed loop, each sending `r:ChatApi.sendMessage:<id>:{"text":…,"channelId":…}` and
// waiting for the answer, for DURATION seconds per mode. Prints msg/s, p50, p99 and the RPC/echo ratio.
// MODE=echo or MODE=rpc runs one mode only, for a profiler. EXECUTOR=eventLoop runs the handlers on the event loop.
import GrestHTTP
import GrestSchema
import GrestWebSocket
import GrestWebSocketClient
import GrestWebSocketTransport
import NIOCore
import NIOPosix
import Synchronization

struct SendMessageRequest: Sendable {
    var text: String
    var channelId: String
}

struct SendMessageResponse: Sendable {
    var success: Bool
    var messageId: String
}

enum ChatApi {
    static let sendMessage = ContractMethod(
        "sendMessage",
        input: IsObject(SendMessageRequest.init, field("text", \.text, IsString.nonEmpty.maxLength(2_000)), field("channelId", \.channelId, IsString.nonEmpty)),
        success: IsObject(SendMessageResponse.init, field("success", \.success, IsBoolean), field("messageId", \.messageId, IsString)),
        errors: [VALIDATION_ERROR, SERVER_ERROR])
    static let contract = SocketContract("ChatApi", clientToServer: [sendMessage], serverToClient: [])
}

let environment = Environment()
let connections = environment.int("CONNECTIONS", 50)
let duration = Duration.seconds(environment.int("DURATION", 2))
let rounds = environment.int("ROUNDS", 8)
/// `echo` or `rpc` runs one mode only (to profile it, e.g. under `perf record`); anything else runs both.
let mode = getenv("MODE").map { String(cString: $0) } ?? "both"
let plainConfiguration: WebSocketConfiguration = {
    var configuration = WebSocketConfiguration()
    configuration.compression = nil
    return configuration
}()

/// `EXECUTOR=eventLoop` runs both servers' connection handlers on the connection's event loop instead of Swift's global
/// executor (the default, as in `SocketServerConfiguration`).
let handlerExecutor: WebSocketHandlerExecutor = getenv("EXECUTOR").map { String(cString: $0) } == "eventLoop" ? .eventLoop : .globalConcurrent
let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = HTTPServer(eventLoopGroup: serverGroup)
try server.registerWebSocket(path: "/ws/echo", configuration: plainConfiguration, handlerExecutor: handlerExecutor) { connection in
    for await message in connection.inbound {
        do { try await connection.send(message) } catch { break }
    }
}
var socketConfiguration = SocketServerConfiguration()
socketConfiguration.transport = plainConfiguration
socketConfiguration.handlerExecutor = handlerExecutor
let chat = webSocketSchema(ChatApi.contract).path("ws/chat").done()
try server.register(chat, configuration: socketConfiguration) { socket in
    try socket.incoming.on(ChatApi.sendMessage) { request in SendMessageResponse(success: true, messageId: request.channelId) }
}
try await server.start()
let port = server.port!

struct Result {
    var messages = 0
    var latencies: [Duration] = []
}

/// Connects one socket to `path`, and does the grest handshake when `handshake` is set.
func connect(path: String, handshake: Bool) async throws -> (WebSocketConnection, WebSocketInboundStream.AsyncIterator) {
    let socket = try await WebSocketClient.connect(
        to: "ws://127.0.0.1:\(port)\(path)", configuration: plainConfiguration, eventLoopGroup: clientGroup)
    var iterator = socket.inbound.makeAsyncIterator()
    if handshake {
        try await socket.send(text: "h:::{}")
        _ = await iterator.next()
    }
    return (socket, iterator)
}

/// One closed loop on a connected socket: send, wait for the answer, repeat until `deadline`.
func drive(
    _ socket: WebSocketConnection, _ iterator: inout WebSocketInboundStream.AsyncIterator, deadline: ContinuousClock.Instant
) async throws -> Result {
    var result = Result()
    result.latencies.reserveCapacity(100_000)
    var id = 1
    while ContinuousClock.now < deadline {
        let started = ContinuousClock.now
        try await socket.send(text: #"r:ChatApi.sendMessage:\#(id):{"text":"hello from the load client","channelId":"general"}"#)
        guard await iterator.next() != nil else { break }
        result.latencies.append(ContinuousClock.now - started)
        result.messages += 1
        id += 1
    }
    return result
}

/// Holds a round's sockets until every one is connected, then starts them together: the last to arrive reads the clock
/// and the process CPU, so a round's figures cover its round trips and not the servers' connection setup, which
/// differs between the two paths (an upgrade for the echo, an upgrade plus the grest handshake for the RPC).
final class StartGate: Sendable {
    struct Start: Sendable {
        var instant: ContinuousClock.Instant
        var cpu: Duration
    }

    private let state: Mutex<(remaining: Int, waiting: [CheckedContinuation<Start, Never>])>

    init(parties: Int) {
        state = Mutex((remaining: parties, waiting: []))
    }

    func arriveAndWait() async -> Start {
        await withCheckedContinuation { continuation in
            let released = state.withLock { state -> [CheckedContinuation<Start, Never>] in
                state.waiting.append(continuation)
                state.remaining -= 1
                guard state.remaining == 0 else { return [] }
                defer { state.waiting = [] }
                return state.waiting
            }
            guard !released.isEmpty else { return }
            let start = Start(instant: .now, cpu: processCPUTime())
            for waiter in released { waiter.resume(returning: start) }
        }
    }
}

struct Totals {
    var messages = 0
    var elapsed = Duration.zero
    /// Process CPU (user + system) spent in this mode's rounds: the server and the load client, which does the same
    /// work in both modes, so the difference between the modes is the server's.
    var cpu = Duration.zero
    var latencies: [Duration] = []

    var cpuPerMessage: Duration { messages == 0 ? .zero : cpu / messages }

    var rate: Double { Double(messages) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) }
    func percentile(_ p: Double) -> Duration {
        let sorted = latencies.sorted()
        return sorted.isEmpty ? .zero : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// One round of one mode: every connection in a closed loop for `duration`, timed from the moment all are connected
/// until the last loop ends; the sockets close after that, untimed.
func round(path: String, handshake: Bool, into totals: inout Totals) async throws {
    let gate = StartGate(parties: connections + 1)
    let (start, results) = try await withThrowingTaskGroup(of: (Result, WebSocketConnection).self) { group in
        for _ in 0..<connections {
            group.addTask {
                // A socket that fails to connect still arrives, so the others are not held forever; its error then
                // ends the run.
                let connected: Swift.Result<(WebSocketConnection, WebSocketInboundStream.AsyncIterator), any Error>
                do { connected = .success(try await connect(path: path, handshake: handshake)) } catch { connected = .failure(error) }
                let start = await gate.arriveAndWait()
                let (socket, firstIterator) = try connected.get()
                var iterator = firstIterator
                return (try await drive(socket, &iterator, deadline: start.instant + duration), socket)
            }
        }
        let start = await gate.arriveAndWait()
        let results = try await group.reduce(into: [(Result, WebSocketConnection)]()) { $0.append($1) }
        return (start, results)
    }
    totals.elapsed += ContinuousClock.now - start.instant
    totals.cpu += processCPUTime() - start.cpu
    totals.messages += results.reduce(0) { $0 + $1.0.messages }
    totals.latencies += results.flatMap(\.0.latencies)
    await withTaskGroup(of: Void.self) { group in
        for (_, socket) in results { group.addTask { _ = try? await socket.close() } }
    }
}

func report(_ name: String, _ totals: Totals) {
    guard totals.messages > 0 else { return }
    print("  \(name.padding(17)) \(String(Int(totals.rate)).leftPadding(8)) msg/s   p50 \(ms(totals.percentile(0.5)))   p99 \(ms(totals.percentile(0.99)))   CPU \(microseconds(totals.cpuPerMessage)) µs/round trip")
}

func microseconds(_ duration: Duration) -> String {
    let tenths = Int((Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12) * 10)
    return (tenths < 0 ? "-" : "") + String(abs(tenths) / 10) + "." + String(abs(tenths) % 10)
}

/// User + system CPU time of this process so far.
func processCPUTime() -> Duration {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

func ms(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    return String(Int(value * 100) / 100) + "." + String(format2(Int(value * 100) % 100)) + " ms"
}

func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

struct Environment {
    func int(_ name: String, _ fallback: Int) -> Int {
        guard let raw = getenv(name) else { return fallback }
        return Int(String(cString: raw)) ?? fallback
    }
}

print(
    "bench-rpc: \(connections) connections, closed loop, \(rounds) alternating rounds of \(duration) per mode, no compression, "
        + "handlers on \(handlerExecutor == .eventLoop ? "the event loop" : "the global executor")")
// Warm up both paths, then alternate the modes so background load hits both alike.
for (path, handshake) in [("/ws/echo", false), ("/ws/chat", true)] {
    let (socket, firstIterator) = try await connect(path: path, handshake: handshake)
    var iterator = firstIterator
    _ = try await drive(socket, &iterator, deadline: .now + .milliseconds(300))
    _ = try? await socket.close()
}
/// One echo round and the RPC round right after it: what changes on the machine between rounds hits both alike.
struct Pair {
    var ratio: Double
    var typedCPU: Duration
}

func compare() async throws -> (echo: Totals, rpc: Totals, pairs: [Pair]) {
    var echo = Totals()
    var rpc = Totals()
    var pairs: [Pair] = []
    for _ in 0..<rounds {
        var echoRound = Totals()
        var rpcRound = Totals()
        if mode != "rpc" { try await round(path: "/ws/echo", handshake: false, into: &echoRound) }
        if mode != "echo" { try await round(path: "/ws/chat", handshake: true, into: &rpcRound) }
        if echoRound.messages > 0, rpcRound.messages > 0 {
            pairs.append(Pair(ratio: rpcRound.rate / echoRound.rate, typedCPU: rpcRound.cpuPerMessage - echoRound.cpuPerMessage))
        }
        echo.add(echoRound)
        rpc.add(rpcRound)
    }
    return (echo, rpc, pairs)
}

extension Totals {
    mutating func add(_ other: Totals) {
        messages += other.messages
        elapsed += other.elapsed
        cpu += other.cpu
        latencies += other.latencies
    }
}

/// The middle of sorted `values` (the mean of the two middle ones for an even count); `nil` when there are none (a
/// server that answered nothing in one of the modes leaves no pair).
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let middle = values.count / 2
    return values.count.isMultiple(of: 2) ? (values[middle - 1] + values[middle]) / 2 : values[middle]
}

/// A distribution-free confidence interval for the median of sorted `values`: the k-th smallest and the k-th largest
/// value, for the largest k whose coverage, 1 − 2·P(Binomial(n, ½) ≤ k − 1), is still at least 95 %. Returns the bounds
/// and that coverage; `nil` for fewer than 6 values, which no interval covers at 95 %.
func medianInterval(_ values: [Double]) -> (low: Double, high: Double, coverage: Double)? {
    let n = values.count
    var scale = 1.0  // ½ⁿ
    for _ in 0..<n { scale /= 2 }
    var interval: (low: Double, high: Double, coverage: Double)?
    var tail = 0.0  // P(Binomial(n, ½) ≤ k − 1)
    var choose = 1.0  // C(n, k − 1)
    var k = 1
    while k <= (n + 1) / 2 {
        tail += choose * scale
        let coverage = 1 - 2 * tail
        guard coverage >= 0.95 else { break }
        interval = (values[k - 1], values[n - k], coverage)
        choose = choose * Double(n - k + 1) / Double(k)
        k += 1
    }
    return interval
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

func ratio(_ value: Double) -> String { "\(String(Int(value * 100) / 100)).\(format2(Int(value * 100) % 100))×" }

let (echo, rpc, pairs) = try await compare()
report("raw echo", echo)
report("typed RPC", rpc)
if echo.messages > 0, rpc.messages > 0 {
    print("  RPC / raw echo throughput: \(ratio(rpc.rate / echo.rate))  (target ≥ 0.90×)")
    print("  CPU per round trip, RPC − raw echo (the typed layer's cost on the server): \(microseconds(rpc.cpuPerMessage - echo.cpuPerMessage)) µs")
    // On a shared machine a burst of outside load can halve one round; the median of back-to-back pairs ignores it.
    let ratios = pairs.map(\.ratio).sorted()
    if let middle = median(ratios), let typed = median(pairs.map { Double($0.typedCPU.nanoseconds) }.sorted()) {
        print(
            "  median of \(pairs.count) back-to-back round pairs: \(ratio(middle)) (pairs \(ratios.map(ratio).joined(separator: " "))), typed layer \(microseconds(.nanoseconds(Int64(typed)))) µs"
        )
        // How far this run's median may sit from the machine's: what "reliably above the target" has to clear.
        if let interval = medianInterval(ratios) {
            print("  \(Int(interval.coverage * 1000) / 10) % confidence interval of that median: \(ratio(interval.low)) – \(ratio(interval.high))")
        }
    }
}
await server.shutdown()
try await clientGroup.shutdownGracefully()
try await serverGroup.shutdownGracefully()

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
