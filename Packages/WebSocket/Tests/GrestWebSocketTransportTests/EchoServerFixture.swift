import GrestWebSocketTransport
import NIOCore
import WebSocketCompression
import NIOHTTP1

/// Runs an in-process ``WebSocketServer`` on an ephemeral loopback port for the duration of `body`.
///
/// The handler echoes every message; the text `info` is answered with `path|room query|x-token header|extensions`
/// and `close-me` makes the server close with 4002 "server bye".
func withEchoServer(
    deflate: Bool,
    configure: (inout WebSocketConfiguration) -> Void = { _ in },
    handlerExecutor: WebSocketHandlerExecutor = .globalConcurrent,
    handler: WebSocketServer.Handler? = nil,
    _ body: @Sendable (Int) async throws -> Void
) async throws {
    var configuration = WebSocketConfiguration()
    if deflate { configuration.compression = PerMessageDeflate() }
    configure(&configuration)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = WebSocketServer(port: 0, configuration: configuration, handlerExecutor: handlerExecutor) { address in
        continuation.yield(address.port ?? 0)
    } handler: { connection in
        if let handler { return await handler(connection) }
        for await message in connection.inbound {
            switch message {
            case .text("info"):
                let info = connection.info
                let reply = [
                    info.path, info.queryValue("room") ?? "", info.requestHeaders.first(name: "x-token") ?? "",
                    info.extensions.map(\.description).joined(separator: ","),
                ].joined(separator: "|")
                try? await connection.send(text: reply)
            case .text("close-me"):
                _ = try? await connection.close(code: WebSocketCloseCode(4002), reason: "server bye")
                return
            default:
                do { try await connection.send(message) } catch { return }
            }
        }
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { return }
        do {
            try await body(port)
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}
