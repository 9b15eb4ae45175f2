// Server-to-client requests and pushes, tested through GrestTestKit (root graph only: Packages/WebSocket cannot
// depend on TestKit, which depends on it).
#if canImport(GrestTestKit)
    import GrestHTTP
    import GrestSchema
    import GrestTestKit
    import GrestWebSocket
    import Testing

    private enum TKAskApi {
        static let ask = ContractMethod("ask", success: IsBoolean)
        static let confirm = ContractMethod("confirm", success: IsBoolean, errors: [SERVER_ERROR])
        static let asked = ContractMethod("asked", input: IsBoolean)
        static let contract = SocketContract("TKAskApi", clientToServer: [ask], serverToClient: [confirm, asked])
    }

    private let TKAskSocket = webSocketSchema(TKAskApi.contract).path("ws/ask").done()

    /// `ask` asks the caller `confirm` over the same socket, pushes `asked` with the answer, and returns it.
    private let tkAskApp = GrestAppDefinition(name: "ask") { environment in
        let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), logger: environment.logger)
        try server.register(TKAskSocket) { socket in
            let outgoing = socket.outgoing
            try socket.incoming.on(TKAskApi.ask) {
                let answer = (try? await outgoing.call(TKAskApi.confirm, timeout: .seconds(2))) ?? false
                try? await outgoing.call(TKAskApi.asked, answer)
                return answer
            }
        }
        return [server]
    }

    @Suite(.timeLimit(.minutes(1)), .grest([tkAskApp]))
    struct ServerRequestsThroughTestKitTests {
        @Test func aMockedAnswerReachesTheServer() async throws {
            let client = try await GrestHarness.required().connect(TKAskSocket)
            client.mock(TKAskApi.confirm, returning: true)
            try await client.call(TKAskApi.ask).expect(equals: true).waitFor(client.push(TKAskApi.asked, matching: true)).run()
            #expect(client.received(TKAskApi.confirm) == 1)
        }

        @Test func anUnansweredServerRequestIsAnErrorOnTheServerAndAnIssueInTheTest() async throws {
            let client = try await GrestHarness.required().connect(TKAskSocket)
            try await client.call(TKAskApi.ask).expect(equals: false).waitFor(client.push(TKAskApi.asked, matching: false)).run()
            await withKnownIssue {
                await client.close()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains("unexpected socket message received: r:TKAskApi.confirm:") }
            }
        }
    }
#endif
