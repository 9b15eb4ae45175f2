// The standalone development router (grest-ts `npx @grest-ts/discovery-local`):
//   grest-discovery [--port 9000] [--host 127.0.0.1] [--health-path /healthz] [--health-interval-ms 2000]
// Services register over the framework connection; every API is reachable through http://host:port.
import GrestDiscoveryLocal
import Logging
import ServiceLifecycle

import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    guard name.hasPrefix("--"), let value = arguments.popFirst() else {
        print("usage: grest-discovery [--port N] [--host H] [--health-path /healthz] [--health-interval-ms N]")
        exit(2)
    }
    options[String(name.dropFirst(2))] = value
}
let environmentPort = getenv("GG_LOCAL_ROUTER_PORT").flatMap { Int(String(cString: $0)) }
guard let port = options["port"].map({ Int($0) }) ?? environmentPort ?? 9000 else {
    print("grest-discovery: --port must be a number")
    exit(2)
}
let interval = Int(options["health-interval-ms"] ?? "") ?? 2000
let router = LocalDiscoveryRouter(
    host: options["host"] ?? "127.0.0.1", port: port, kind: "bin", healthCheckPath: options["health-path"],
    healthCheckInterval: .milliseconds(interval))
do {
    try await router.start()
} catch {
    print("grest-discovery: cannot listen on \(router.host):\(port): \(error)")
    exit(1)
}
print("grest-discovery: routing on http://\(router.host):\(router.port!) (framework connection /__ggFrameworkConnection)")
fflush(nil)  // flush all C streams: the line above is how scripts learn the port
let logger = Logger(label: "grest.discovery")
try await ServiceGroup(services: [router], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
