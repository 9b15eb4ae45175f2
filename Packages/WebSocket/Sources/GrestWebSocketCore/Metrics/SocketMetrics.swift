package import CoreMetrics
import Synchronization
import GrestSchema

/// The metrics of one socket API (grest-ts `GGWebSocketMetrics`, prefix `grest_ws_`), created once per
/// registration so the hot path only increments.
///
/// | Metric | Type | Dimensions |
/// |---|---|---|
/// | `grest_ws_connections_active` | meter | api, path |
/// | `grest_ws_connections_total` | counter | api, path, result (`OK`, `QUERY_INVALID`, `HANDSHAKE_FAILED`, `ERROR`) |
/// | `grest_ws_heartbeat_timeouts_total` | counter | api, path |
/// | `grest_ws_requests_total` | counter | api, path, method, result (`OK` or an error TYPE) |
/// | `grest_ws_request_duration_seconds` | timer | api, path, method |
/// | `grest_ws_out_requests_total` | counter | api, path, method, result (`OK`, an error TYPE, `CONNECTION_CLOSED`) |
/// | `grest_ws_out_request_duration_seconds` | timer | api, path, method (`r` only) |
///
/// `method` is a route the contract declares, or `unknown`; `result` is `OK`, a TYPE the contract lists, or
/// `SERVER_ERROR`. No label value ever comes from the peer, so cardinality is bounded by the contract.
package final class SocketMetrics: Sendable {
    package static let prefix = "grest_ws_"

    /// A class, so taking one out of the route table per message retains one object, not its four references.
    final class Route: Sendable {
        let results: [String: Counter]
        /// `results["OK"]`, kept aside so the common case costs no hashing.
        let ok: Counter
        let other: Counter
        let timer: Timer

        init(results: [String: Counter], ok: Counter, other: Counter, timer: Timer) {
            self.results = results
            self.ok = ok
            self.other = other
            self.timer = timer
        }

        func counter(for result: String) -> Counter {
            result == "OK" ? ok : results[result] ?? other
        }
    }

    package let active: Meter
    private let connections: [String: Counter]
    package let heartbeatTimeouts: Counter
    private let inbound: [String: Route]
    private let outbound: [String: Route]
    private let unknownInbound: Route

    /// Whether these metrics go anywhere: `false` when they were made by swift-metrics' no-op factory (no `factory`
    /// given and `MetricsSystem` not bootstrapped), whose handlers discard every value for good. A peer then keeps
    /// none, so a message costs neither the two clock reads nor the lookups.
    package let isRecording: Bool

    /// - Parameter factory: Where the metrics go; `nil` takes `MetricsSystem.factory` as it is now, once.
    package init(contract: SocketContract, path: String, factory: (any MetricsFactory)?) {
        let factory = factory ?? MetricsSystem.factory
        self.isRecording = !(factory is NOOPMetricsHandler)
        let base = [("api", contract.name), ("path", path)]
        func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
            Counter(label: Self.prefix + label, dimensions: dimensions, factory: factory)
        }
        func timer(_ label: String, _ dimensions: [(String, String)]) -> Timer {
            Timer(label: Self.prefix + label, dimensions: dimensions, preferredDisplayUnit: .milliseconds, factory: factory)
        }
        func route(_ name: String, method: String, errors: [String], extra: [String]) -> Route {
            let dimensions = base + [("method", method)]
            var results: [String: Counter] = [:]
            for result in Set(errors + extra + ["OK", "SERVER_ERROR"]) {
                results[result] = counter(name + "_total", dimensions + [("result", result)])
            }
            return Route(
                results: results, ok: results["OK"]!, other: results["SERVER_ERROR"]!,
                timer: timer(String(name.dropLast()) + "_duration_seconds", dimensions))
        }
        self.active = Meter(label: Self.prefix + "connections_active", dimensions: base, factory: factory)
        var connections: [String: Counter] = [:]
        for result in ["OK", "QUERY_INVALID", "HANDSHAKE_FAILED", "ERROR"] {
            connections[result] = counter("connections_total", base + [("result", result)])
        }
        self.connections = connections
        self.heartbeatTimeouts = counter("heartbeat_timeouts_total", base)
        let gateErrors = ["ROUTE_NOT_FOUND", "NOT_AUTHORIZED", "FORBIDDEN", "VALIDATION_ERROR"]
        var inbound: [String: Route] = [:]
        var outbound: [String: Route] = [:]
        for method in contract.clientToServer + contract.serverToClient {
            let errors = method.descriptor.errors.map(\.type)
            // Each side records what it receives as `requests` and what it sends as `out_requests`.
            inbound[method.route] = route("requests", method: method.route, errors: errors, extra: gateErrors)
            outbound[method.route] = route("out_requests", method: method.route, errors: errors, extra: ["CONNECTION_CLOSED"])
        }
        self.inbound = inbound
        self.outbound = outbound
        self.unknownInbound = route("requests", method: "unknown", errors: [], extra: gateErrors)
    }

    package func connection(_ result: String) {
        (connections[result] ?? connections["ERROR"]!).increment()
    }

    /// An inbound `r`/`m` finished with `result` (`OK` or an error TYPE).
    package func inbound(route: String, result: String, nanoseconds: Int64?) {
        let metrics = inbound[route] ?? unknownInbound
        metrics.counter(for: result).increment()
        if let nanoseconds { metrics.timer.recordNanoseconds(nanoseconds) }
    }

    /// An outbound `r`/`m` finished with `result`.
    package func outbound(route: String, result: String, nanoseconds: Int64?) {
        guard let metrics = outbound[route] else { return }
        metrics.counter(for: result).increment()
        if let nanoseconds { metrics.timer.recordNanoseconds(nanoseconds) }
    }
}
