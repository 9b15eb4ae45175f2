// A tiny client for the chat example: connects with a bearer token, prints pushes, sends one message.
import ArgumentParser
import ChatExample
import GrestHTTP
import GrestSchema
import GrestWebSocketClient
import Tagged

@main
struct ChatClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grest-chat-client", abstract: "Send a chat message and print pushes.")

    @Option(help: "Server host.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 8080
    @Option(help: "Bearer token (alice, bob, guest).") var token = "alice"
    @Option(help: "Channel to post in.") var channel = "general"
    @Option(help: "Seconds to keep listening for pushes after sending.") var listen = 1.0
    @Argument(help: "The message to send; omit to only listen.") var text: String?

    func run() async throws {
        var configuration = SocketClientConfiguration()
        let token = self.token
        configuration.middleware = [BearerAuthMiddleware(getToken: { token })]
        let client = ChatSocket.createClient(url: "ws://\(host):\(port)", configuration: configuration)
        try client.incoming.on(ChatApi.newMessage) { message in
            print("[\(message.senderId.rawValue)] \(message.text)  (\(message.id))")
        }
        try client.incoming.on(ChatApi.typing) { event in print("… \(event.userId.rawValue) is typing in #\(event.channelId)") }
        try client.incoming.on(ChatApi.areYouThere) { true }
        client.onDisconnect { reason in print("disconnected: \(reason.rawValue)") }
        do {
            try await client.connect()
        } catch {
            print("connect failed: \(error.type): \(error.displayMessage ?? "")")
            throw ExitCode.failure
        }
        print("connected to \(client.url) as \(token)")
        if let text {
            switch await client.outgoing.result(ChatApi.sendMessage, SendMessageRequest(text: text, channelId: channel)) {
            case .success(let reply): print("sent \(reply.messageId)")
            case .failure(let error): print("send failed: \(error.type): \(error.displayMessage ?? "")")
            }
        }
        try await Task.sleep(for: .milliseconds(Int(listen * 1000)))
        await client.disconnect()
    }
}
