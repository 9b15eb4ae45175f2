import GrestHTTP
import GrestSchema
import NIOCore

/// Starts a server on 127.0.0.1:0, runs `body`, and always shuts it down.
func withServer(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    register: (HTTPServer) throws -> Void,
    _ body: (HTTPServer, Int) async throws -> Void
) async throws {
    var configuration = HTTPServerConfiguration()
    configure(&configuration)
    let server = HTTPServer(configuration: configuration)
    try register(server)
    try await server.start()
    do {
        try await body(server, server.port!)
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

/// Sends one raw request on a fresh connection and reads the response.
func rawRequest(_ port: Int, _ text: String) async throws -> RawResponse {
    let connection = try await RawConnection.connect(port: port)
    defer { Task { await connection.close() } }
    try await connection.send(text)
    return try await connection.readResponse()
}

func get(_ port: Int, _ path: String, headers: [String] = []) async throws -> RawResponse {
    try await rawRequest(port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
}

func send(_ port: Int, _ method: String, _ path: String, body: String, headers: [String] = []) async throws -> RawResponse {
    try await rawRequest(
        port,
        "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + headers.map { $0 + "\r\n" }.joined() + "\r\n" + body)
}

extension RawResponse {
    var json: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
    var type: String? { json["type"]?.stringValue }
}
