import GrestMiddleware
public import GrestSchema
import NIOCore
public import NIOHTTP1

/// A reply as it came off the wire: the status and the parsed JSON envelope.
@_spi(GrestTestKit)
public struct RawHTTPReply: Sendable {
    /// The HTTP status.
    public let statusCode: Int
    /// The parsed body; `nil` when it was not JSON.
    public let body: JSONValue?
}

extension HTTPClient {
    /// Sends raw JSON `input` to the method named `name`, skipping client-side validation, so the server's
    /// validation is what a test exercises; `headers` are added before the middleware runs (a stand-in
    /// forwarding a caller's headers). Transport failures come back as `SERVER_ERROR`.
    @_spi(GrestTestKit)
    public func send(methodNamed name: String, rawInput input: JSONValue?, headers: HTTPHeaders = [:]) async -> Result<RawHTTPReply, ServiceError> {
        guard let base, let pool else {
            return .failure(SERVER_ERROR(debugMessage: ClientTransportError.invalidBaseURL(baseURL).description))
        }
        guard let route = schema.route(for: name) else {
            return .failure(SERVER_ERROR(debugMessage: "\(schema.name).\(name) has no route in the HTTP schema"))
        }
        var fields = JSONObject()
        if case .object(let object) = input { fields = object }
        var target = base.path
        for segment in route.path.segments {
            switch segment {
            case .literal(let literal): target += "/" + literal
            case .parameter(let parameter): target += "/" + PercentEncoding.encode(QueryString.text(of: fields[parameter] ?? .null))
            }
        }
        if target.isEmpty { target = "/" }
        var body: [UInt8]?
        if route.httpMethod.hasBody {
            if let input {
                var writer = JSONWriter(reservingCapacity: 256)
                writer.write(input)
                body = writer.bytes
            }
        } else {
            let parameters = Set(route.path.parameterNames)
            var query = ""
            for member in fields where !parameters.contains(member.key) { QueryString.append(member.key, member.value, to: &query) }
            if !query.isEmpty { target += "?" + query }
        }
        var outbound = OutboundRequest(transport: .http, method: route.httpMethod.rawValue, target: target)
        for (headerName, value) in headers where !Self.hopByHop.contains(headerName.lowercased()) {
            outbound.headers.add(name: headerName, value: value)
        }
        outbound.headers.replaceOrAdd(name: "host", value: base.hostHeader)
        outbound.headers.replaceOrAdd(name: "accept", value: "application/json")
        if let body {
            outbound.headers.replaceOrAdd(name: "content-type", value: "application/json")
            outbound.headers.replaceOrAdd(name: "content-length", value: String(body.count))
        } else if route.httpMethod.hasBody {
            outbound.headers.replaceOrAdd(name: "content-length", value: "0")
        }
        do {
            for item in middleware { try await item.updateRequest(&outbound) }
        } catch {
            return .failure(ServiceError.fromUnknown(error))
        }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: outbound.method), uri: outbound.target, headers: outbound.headers)
        let response: ClientResponse
        do {
            response = try await pool.execute(head: head, body: body.map { allocator.buffer(bytes: $0) }, deadline: .now() + configuration.timeout)
        } catch {
            return .failure(SERVER_ERROR(debugMessage: "\(schema.name).\(name): transport failure", originalError: error))
        }
        let json = try? response.body.withUnsafeReadableBytes { bytes in try JSONParser().parse(bytes) }
        return .success(RawHTTPReply(statusCode: Int(response.head.status.code), body: json))
    }

    /// Headers a forwarding hop must not copy (they describe one connection or one body).
    private static let hopByHop: Set<String> = [
        "host", "content-length", "content-type", "connection", "keep-alive", "transfer-encoding", "upgrade", "accept",
    ]
}
