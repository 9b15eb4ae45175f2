import GrestDiscovery
import NIOCore
import NIOWebSocket

/// The grest-ts framework connection (`/__ggFrameworkConnection`): text frames `type:id:path:json`, requests `r`
/// answered by `s` frames carrying `{"success":…,"data":…,"error":…}`, as grest-ts's `IPCSocket`, so TypeScript and
/// Swift services can share one router.
///
/// Registrations are owned by the connection: each is stamped with the connection's id (whatever the payload says)
/// and removed when the connection closes, by a crash or SIGKILL included. Hosts must be loopback: the router
/// proxies only to this machine. Malformed frames and unknown paths get an error reply, never a crash.
final class IPCHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let path = "/__ggFrameworkConnection"

    private let router: LocalDiscoveryRouter
    private let connectionID: String
    private let runtime: String

    init(router: LocalDiscoveryRouter, connectionID: String, runtime: String) {
        self.router = router
        self.connectionID = connectionID
        self.runtime = runtime
    }

    func channelInactive(context: ChannelHandlerContext) {
        router.registry.removeInstance(connectionID)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where frame.fin:
            var payload = frame.unmaskedData
            let text = payload.readString(length: payload.readableBytes) ?? ""
            if let reply = handle(text) { send(context, reply) }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: context.channel.allocator.buffer(integer: UInt16(1000)))
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        default:
            break  // fragments and binary frames are not part of the protocol: ignored, as grest-ts does
        }
    }

    private func send(_ context: ChannelHandlerContext, _ text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }

    /// The reply frame for one incoming frame, `nil` for frames that get none (not a request).
    package func handle(_ text: String) -> String? {
        let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "r" else { return nil }
        let id = String(parts[1])
        let path = String(parts[2])
        let data = parts.count > 3 && !parts[3].isEmpty ? (try? MiniJSON.parse(String(parts[3]))) : nil
        func reply(_ success: Bool, data: String? = nil, error: String? = nil) -> String {
            var body = "{\"success\":\(success)"
            if let data { body += ",\"data\":\(data)" }
            if let error { body += ",\"error\":\"\(jsonEscaped(error))\"" }
            return "s:\(id):\(path):\(body)}"
        }
        switch path {
        case "discovery/register", "discovery/unregister":
            guard case .array(let items)? = data else { return reply(false, error: "\(path) expects an array of entries") }
            var registrations: [ServiceRegistration] = []
            for item in items {
                switch registration(from: item) {
                case .success(let registration): registrations.append(registration)
                case .failure(let error): return reply(false, error: error.description)
                }
            }
            do {
                if path == "discovery/register" { try router.registry.add(registrations) } else { router.registry.remove(registrations) }
            } catch {
                return reply(false, error: error.description)
            }
            return reply(true)
        case "discovery/discoverApi":
            guard case .string(let api)? = data else { return reply(false, error: "discovery/discoverApi expects an API name") }
            guard !router.registry.registrations(api: api).isEmpty, let origin = router.endpoint else {
                return reply(true, data: "{\"success\":false,\"error\":\"\(jsonEscaped(DiscoveryError.notRegistered(api: api).description))\"}")
            }
            return reply(true, data: "{\"success\":true,\"url\":\"\(jsonEscaped(origin.url))\"}")
        case "discovery/getServerInfo":
            // grest-ts answers `{kind}`; the route table is added for tools and tests (`make cluster` prints it).
            let routes = ipcEntries(router.registry.registrations(), withInstanceIDs: true)
            return reply(true, data: "{\"kind\":\"\(router.kind)\",\"routes\":\(routes)}")
        case "discovery/requestYield":
            // grest-ts let any client make the router give up its port; here only the router's owner decides.
            return reply(false, error: "requestYield refused: this router does not yield its port to clients")
        default:
            return reply(false, error: "No handler for: \(path)")
        }
    }

    /// A grest-ts entry (`{api, baseUrl, pathPrefix}` or `{api, protocol, port, pathPrefix}`), owned by this connection.
    private func registration(from value: MiniJSON) -> Result<ServiceRegistration, DiscoveryError> {
        guard case .object(let fields) = value, case .string(let api)? = fields["api"], !api.isEmpty else {
            return .failure(.refused("entry without api"))
        }
        let prefix: String
        if case .string(let text)? = fields["pathPrefix"] { prefix = text } else { prefix = "" }
        var scheme = ServiceRegistration.Scheme.http
        var host = "127.0.0.1"
        var port = 0
        if case .string(let url)? = fields["baseUrl"] {
            guard let endpoint = try? Endpoint(url: url) else { return .failure(.refused("\(api): baseUrl '\(url)' is not an origin")) }
            scheme = endpoint.scheme == "ws" || endpoint.scheme == "wss" ? .ws : .http
            host = endpoint.host
            port = endpoint.port
        } else {
            if case .string(let text)? = fields["protocol"], let parsed = ServiceRegistration.Scheme(rawValue: text) { scheme = parsed }
            if case .number(let number)? = fields["port"], let whole = Int(exactly: number) { port = whole }
        }
        guard ["127.0.0.1", "localhost", "::1"].contains(host) else {
            return .failure(.refused("\(api): host '\(host)' is not loopback; the router proxies only to this machine"))
        }
        let registration = ServiceRegistration(
            api: api, scheme: scheme, host: host == "localhost" ? "127.0.0.1" : host, port: port, pathPrefix: prefix, instanceID: connectionID,
            runtime: runtime)
        if let problem = registration.problem { return .failure(.refused("\(api): \(problem)")) }
        return .success(registration)
    }
}

/// Registrations as the framework connection's JSON array of entries `{api, baseUrl, pathPrefix}` (grest-ts's
/// shape), each with its `instanceId` when asked.
func ipcEntries(_ registrations: [ServiceRegistration], withInstanceIDs: Bool = false) -> String {
    "[" + registrations.map { registration in
        var entry = "{\"api\":\"\(jsonEscaped(registration.api))\",\"baseUrl\":\"\(jsonEscaped(registration.endpoint.url))\","
            + "\"pathPrefix\":\"\(jsonEscaped(registration.pathPrefix))\""
        if withInstanceIDs { entry += ",\"instanceId\":\"\(jsonEscaped(registration.instanceID))\"" }
        return entry + "}"
    }.joined(separator: ",") + "]"
}
