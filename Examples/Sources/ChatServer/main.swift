// `make run`: the seed README's chat app on one server — the typed socket API at ws://HOST:PORT/ws/chat and
// an HTTP API at http://HOST:PORT/api/*, both behind one BearerAuthMiddleware.
import ArgumentParser
import ChatExample
import GrestHTTP
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct ChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grest-chat-server", abstract: "The grest chat example server.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080

    func run() async throws {
        let service = ChatService()
        let server = try makeChatServer(HTTPServerConfiguration(host: host, port: port), service: service)
        try await server.start()
        let port = server.port ?? port
        print(
            """
            grest chat listening on \(host):\(port)
              socket: ws://\(host):\(port)/ws/chat      (tokens: alice, bob — read+write; guest — read only)
              http:   http://\(host):\(port)/api/messages, /api/me, /api/online, POST /api/typing
            try it:
              swift run --package-path Examples --scratch-path .build-examples grest-chat-client --port \(port) --token alice "hello"
              curl -H 'authorization: Bearer bob' http://\(host):\(port)/api/messages
            Ctrl-C stops the server gracefully.
            """)
        fflush(nil)  // show the banner at once even when stdout is a pipe
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "grest.chat")))
        try await group.run()
    }
}
