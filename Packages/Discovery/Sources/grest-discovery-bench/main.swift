// `make bench-discovery`: resolve() latency uncached and cached (in-process registry and a real etcd when
// ETCD_URL is set), and the cost of resolving per call in the typed HTTP client (discovery-backed ÷ fixed URL,
// same server, same run).
import Foundation
import GrestDiscovery
import GrestDiscoveryEtcd
import GrestDiscoveryIntegration
import GrestDiscoveryLocal
import GrestHTTP
import GrestSchema

struct Note: Sendable { var text: String }
let IsNote = IsObject(Note.init, field("text", \.text, IsString))
let whoami = ContractMethod("whoami", success: IsNote)
let PingHTTP = HTTPSchema(Contract("PingApi", whoami), pathPrefix: "api/ping").routes { $0.get(whoami, "/whoami") }

/// Mean nanoseconds per call of `body` over `iterations`, after a warm-up of a tenth. `body` is `@Sendable` so it
/// does not inherit the main actor of this top-level code: otherwise every call would hop to the main actor and
/// back, and the figure would be two thread switches (about 20 µs here), not the call.
func measure(_ iterations: Int, _ body: @Sendable () async throws -> Void) async throws -> Double {
    for _ in 0..<max(1, iterations / 10) { try await body() }
    let start = ContinuousClock.now
    for _ in 0..<iterations { try await body() }
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1e9 / Double(iterations) + Double(elapsed.components.attoseconds) / 1e9 / Double(iterations)
}

func report(_ name: String, _ nanoseconds: Double) {
    print(String(format: "%-44@ %10.0f ns/op  %12.0f op/s", name as NSString, nanoseconds, 1e9 / nanoseconds))
}

let registrations = (0..<3).map { ServiceRegistration(api: "PingApi", port: 9000 + $0, instanceID: "r\($0)") }
let registry = InMemoryDiscovery(registrations: registrations)
let cachedRegistry = CachingDiscovery(registry, ttl: .seconds(5))
report("resolve InMemoryDiscovery (uncached)", try await measure(200_000) { _ = try await registry.resolve(api: "PingApi") })
report("resolve CachingDiscovery(InMemory) (cached)", try await measure(200_000) { _ = try await cachedRegistry.resolve(api: "PingApi") })

if let etcdURL = ProcessInfo.processInfo.environment["ETCD_URL"].flatMap(URL.init(string:)) {
    let etcd = EtcdDiscovery(endpoint: etcdURL)
    try await etcd.register(registrations)
    let cachedEtcd = CachingDiscovery(etcd, ttl: .seconds(5))
    report("resolve EtcdDiscovery (uncached, HTTP range)", try await measure(500) { _ = try await etcd.resolve(api: "PingApi") })
    report("resolve CachingDiscovery(etcd) (cached)", try await measure(200_000) { _ = try await cachedEtcd.resolve(api: "PingApi") })
    try await etcd.unregister(registrations)
}

let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0))
server.register(PingHTTP) { $0.handle(whoami) { Note(text: "pong") } }
try await server.start()
let port = server.port!
let direct = HTTPClient(PingHTTP, baseURL: "http://127.0.0.1:\(port)")
let viaDiscovery = HTTPClient(
    PingHTTP, discovery: InMemoryDiscovery(registrations: [ServiceRegistration(api: "PingApi", port: port, instanceID: "bench")]))
let calls = Int(ProcessInfo.processInfo.environment["CALLS"] ?? "") ?? 5_000
var directTimes: [Double] = []
var discoveryTimes: [Double] = []
for _ in 0..<3 {  // interleaved rounds, so machine noise hits both alike
    directTimes.append(try await measure(calls) { _ = try await direct.call(whoami) })
    discoveryTimes.append(try await measure(calls) { _ = try await viaDiscovery.call(whoami) })
}
let directBest = directTimes.min()!
let discoveryBest = discoveryTimes.min()!
report("HTTPClient call, fixed URL (best of 3)", directBest)
report("HTTPClient call, discovery: (best of 3)", discoveryBest)
print(String(format: "discovery-backed client ÷ fixed URL: %.2fx throughput (1.00 = no overhead)", directBest / discoveryBest))
await direct.shutdown()
await viaDiscovery.shutdown()

/// Requests/sec wrk reports for `url` (nil when wrk is missing or fails).
func wrk(_ url: String, seconds: Int) -> Double? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = ["-t1", "-c16", "-d\(seconds)s", url]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }) else { return nil }
    return Double(line.split(separator: " ").last ?? "")
}

// Proxy overhead: the same route direct and through the local router, wrk rounds interleaved.
let router = LocalDiscoveryRouter()
try await router.start()
try await router.registry.register([ServiceRegistration(api: "PingApi", port: port, pathPrefix: "api/ping", instanceID: "bench")])
let seconds = Int(ProcessInfo.processInfo.environment["WRK_SECONDS"] ?? "") ?? 5
var directRates: [Double] = []
var proxiedRates: [Double] = []
for _ in 0..<2 {
    if let rate = wrk("http://127.0.0.1:\(port)/api/ping/whoami", seconds: seconds) { directRates.append(rate) }
    if let rate = wrk("http://127.0.0.1:\(router.port!)/api/ping/whoami", seconds: seconds) { proxiedRates.append(rate) }
}
if let direct = directRates.max(), let proxied = proxiedRates.max() {
    print(String(format: "wrk -t1 -c16, direct:        %10.0f req/s (best of %d)", direct, directRates.count))
    print(String(format: "wrk -t1 -c16, through router: %10.0f req/s (best of %d)", proxied, proxiedRates.count))
    print(String(format: "router ÷ direct: %.2fx (target >= 0.5x)", proxied / direct))
} else {
    print("wrk not available: proxy overhead not measured")
}
await router.shutdown()
await server.shutdown()
