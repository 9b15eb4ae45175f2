import GrestHTTP
import GrestWebSocket
import GrestWebSocketClient
import Logging
import Synchronization
import Testing
import GrestSchema

/// Collects log messages (a LogHandler for tests).
final class CapturedLogs: Sendable {
    let messages = Mutex<[String]>([])

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.messages.withLock { $0.append(event.message.description) }
        }
    }

    var logger: Logger { Logger(label: "test") { _ in Handler(sink: self) } }
}

@Suite("Wire log", .timeLimit(.minutes(2)))
struct WireLogTests {
    @Test(arguments: [SocketWireLog.off, .nonOK, .all])
    func logsFramesByMode(mode: SocketWireLog) async throws {
        let logs = CapturedLogs()
        var configuration = SocketServerConfiguration()
        configuration.peer.wireLog = mode
        configuration.peer.logger = logs.logger
        try await withServer({ server in
            try server.register(PublicChat, configuration: configuration) { socket in
                try socket.incoming.on(ChatApi.sendMessage) { SendMessageResponse(success: true, messageId: $0.text) }
            }
        }) { port in
            let client = PublicChat.createClient(url: "ws://127.0.0.1:\(port)")
            try await client.connect()
            _ = try await client.outgoing.call(ChatApi.sendMessage, SendMessageRequest(text: "fine", channelId: "c"))
            // The typed call validates before sending, so send the invalid input raw: the server answers VALIDATION_ERROR.
            _ = try await client.outgoing.send(route: "PublicChat.sendMessage", data: ["text": "", "channelId": "c"], expectResponse: true)
            await client.disconnect()
        }
        let lines = logs.messages.withLock { $0 }
        let failures = lines.filter { $0.hasPrefix(#"outgoing s:PublicChat.sendMessage:2:{"success":false,"type":"VALIDATION_ERROR""#) }
        #expect(failures.count == (mode == .off ? 0 : 1))
        let routine = lines.filter { $0.hasPrefix("incoming r:PublicChat.sendMessage:1:") || $0.hasPrefix("outgoing s:PublicChat.sendMessage:1:") }
        #expect(routine.count == (mode == .all ? 2 : 0))
        if mode == .off { #expect(lines.isEmpty, "off logs no frame at all: \(lines)") }
    }
}
