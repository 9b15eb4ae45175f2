import GrestSchema
import NIOCore
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

@Suite("Inbound dispatch", .timeLimit(.minutes(2)))
struct InboundDispatcherTests {
    func serverDispatcher(scopes: Set<String>? = ["chat:read", "chat:write"], maxConcurrent: Int = 256) throws -> InboundDispatcher {
        var table = SocketHandlerTable(contract: ChatApi.contract, receiving: .clientToServer)
        try table.on(ChatApi.sendMessage) { request in
            if request.channelId == "full" { throw ROOM_FULL(displayMessage: "Room is full") }
            if request.channelId == "unlisted" { throw NOT_LISTED() }
            if request.channelId == "crash" { throw Failure() }
            return SendMessageResponse(success: true, messageId: "m-" + request.text)
        }
        try table.on(ChatApi.whoAmI) { "bob" }
        try table.on(ChatApi.markAsRead) { _ in }
        return InboundDispatcher(table: table, gate: ConnectionScopes(scopes: scopes), maxConcurrent: maxConcurrent)
    }

    /// Dispatches one frame and returns the reply frame (run to completion), or nil.
    func reply(_ dispatcher: inout InboundDispatcher, _ text: String) async -> SocketFrame? {
        switch dispatcher.frameReceived(frame(text)) {
        case .reply(let buffer, _): return frame(String(buffer: buffer))
        case .run(let call):
            let reply = await call.execute().frame
            dispatcher.callFinished()
            return reply.map { frame(String(buffer: $0)) }
        case .drop: return nil
        }
    }

    @Test func requestResponseEndToEnd() async throws {
        var dispatcher = try serverDispatcher()
        // The client side encodes the typed input...
        let payload = try ChatApi.sendMessage.socketPayload(SendMessageRequest(text: "hi", channelId: "general"))
        let request = SocketFrameCodec.encodeRequest(path: ChatApi.contract.route(of: ChatApi.sendMessage), id: 1, payload: payload)
        #expect(text(request) == #"r:ChatApi.sendMessage:1:{"text":"hi","channelId":"general"}"#)
        // ...the server answers with one s copying PATH and ID...
        let response = try #require(await reply(&dispatcher, text(request)))
        #expect(text(response.encoded) == #"s:ChatApi.sendMessage:1:{"success":true,"type":"OK","data":{"success":true,"messageId":"m-hi"}}"#)
        // ...and the client decodes it typed.
        #expect(try ChatApi.sendMessage.decodeSocketReply(response).get() == SendMessageResponse(success: true, messageId: "m-hi"))
    }

    @Test func declaredErrorIsTypedOnBothSides() async throws {
        var dispatcher = try serverDispatcher()
        let response = try #require(await reply(&dispatcher, #"r:ChatApi.sendMessage:2:{"text":"x","channelId":"full"}"#))
        let result = ChatApi.sendMessage.decodeSocketReply(response)
        #expect(result.failed(with: ROOM_FULL))
        #expect(result.error?.displayMessage == "Room is full")
    }

    @Test("handler failures become SERVER_ERROR, always with exactly one reply", arguments: [
        ("unlisted", "Invalid response"), ("crash", nil),
    ])
    func handlerFailures(channel: String, display: String?) async throws {
        var dispatcher = try serverDispatcher()
        let response = try #require(await reply(&dispatcher, #"r:ChatApi.sendMessage:3:{"text":"x","channelId":""# + channel + #""}"#))
        #expect(response.id == "3")
        let error = try #require(body(of: response.encoded))
        #expect(error["type"] == "SERVER_ERROR")
        if let display { #expect(error["context"]?["displayMessage"]?.stringValue == display) }
        #expect(dispatcher.running == 0)
    }

    @Test func invalidSuccessDataBecomesInvalidResponse() async throws {
        let IsStrict = IsObject(
            SendMessageResponse.init, field("success", \.success, IsBoolean), field("messageId", \.messageId, IsString.nonEmpty))
        let method = ContractMethod("strict", input: ChatApi.IsSendMessageRequest, success: IsStrict)
        let contract = SocketContract("Strict", clientToServer: [method], serverToClient: [])
        var table = SocketHandlerTable(contract: contract, receiving: .clientToServer)
        try table.on(method) { _ in SendMessageResponse(success: true, messageId: "") }
        var dispatcher = InboundDispatcher(table: table, gate: ConnectionScopes(scopes: nil))
        let response = try #require(await reply(&dispatcher, #"r:Strict.strict:1:{"text":"x","channelId":"c"}"#))
        #expect(body(of: response.encoded)?["context"]?["displayMessage"] == "Invalid response")
    }

    @Test func badInputIsValidationError() async throws {
        var dispatcher = try serverDispatcher()
        for input in [#"{"text":"","channelId":"c"}"#, "{not json", ""] {
            let response = try #require(await reply(&dispatcher, "r:ChatApi.sendMessage:4:" + input))
            #expect(body(of: response.encoded)?["type"] == "VALIDATION_ERROR")
        }
    }

    @Test func unknownRouteRequestGetsRouteNotFound() async throws {
        var dispatcher = try serverDispatcher()
        let response = try #require(await reply(&dispatcher, "r:ChatApi.nope:9:{}"))
        #expect(text(response.encoded).hasPrefix("s:ChatApi.nope:9:"))
        #expect(body(of: response.encoded)?["type"] == "ROUTE_NOT_FOUND")
        #expect(body(of: response.encoded)?["statusCode"] == 404)
        // Server-to-client routes are not served by the server.
        let reverse = try #require(await reply(&dispatcher, "r:ChatApi.areYouThere:10:"))
        #expect(body(of: reverse.encoded)?["type"] == "ROUTE_NOT_FOUND")
        #expect(dispatcher.metricLabel(for: "ChatApi.nope") == "unknown")
        #expect(dispatcher.metricLabel(for: "ChatApi.sendMessage") == "ChatApi.sendMessage")
    }

    @Test func unknownMessageIsIgnoredAndCounted() async throws {
        var dispatcher = try serverDispatcher()
        guard case .drop(.unknownRoute("ChatApi.nope")) = dispatcher.frameReceived(frame("m:ChatApi.nope::{}")) else { throw Failure() }
        #expect(dispatcher.unknownMessageCount == 1)
    }

    @Test func fireAndForgetRunsWithoutReply() async throws {
        var dispatcher = try serverDispatcher()
        guard case .run(let call) = dispatcher.frameReceived(frame(#"m:ChatApi.markAsRead::{"messageId":"m1"}"#)) else { throw Failure() }
        #expect(call.expectsReply == false)
        #expect(await call.execute().frame == nil)
    }

    @Test func declaredMethodWithoutHandlerIsServerError() async throws {
        var dispatcher = try serverDispatcher()
        let response = try #require(await reply(&dispatcher, "r:ChatApi.ping:5:"))
        #expect(body(of: response.encoded)?["type"] == "SERVER_ERROR")
        guard case .drop(.noHandler("ChatApi.ping")) = dispatcher.frameReceived(frame("m:ChatApi.ping::")) else { throw Failure() }
    }

    @Test("a handler registered, removed or partly registered after creation is what the next frame sees")
    func tableChangesAfterCreation() throws {
        var dispatcher = try serverDispatcher()
        func ping(_ dispatcher: inout InboundDispatcher) -> InboundDispatcher.Action {
            dispatcher.frameReceived(frame("m:ChatApi.ping::"))
        }
        guard case .drop(.noHandler("ChatApi.ping")) = ping(&dispatcher) else { throw Failure() }
        try dispatcher.updateTable { (table) throws(SocketRegistrationError) in
            try table.register(route: "ChatApi.ping") { _ in .emptySuccess }
        }
        guard case .run = ping(&dispatcher) else { throw Failure() }
        dispatcher.callFinished()
        try dispatcher.updateTable { table in table.remove(routes: ["ChatApi.ping"]) }
        guard case .drop(.noHandler("ChatApi.ping")) = ping(&dispatcher) else { throw Failure() }
        // An update that throws part-way keeps what it registered before the throw.
        #expect(throws: SocketRegistrationError.self) {
            try dispatcher.updateTable { (table) throws(SocketRegistrationError) in
                try table.register(route: "ChatApi.ping") { _ in .emptySuccess }
                try table.on(ChatApi.whoAmI) { "twice" }
            }
        }
        guard case .run = ping(&dispatcher) else { throw Failure() }
        dispatcher.callFinished()
    }

    @Test("per-message permission gate; the socket stays usable", arguments: [
        (Set<String>?.none, "NOT_AUTHORIZED"), (Set<String>?.some(["chat:read"]), "FORBIDDEN"),
        (Set<String>?.some(["chat:admin"]), "OK"), (Set<String>?.some(["chat:read", "chat:write"]), "OK"),
    ])
    func permissionGate(scopes: Set<String>?, expected: String) async throws {
        var dispatcher = try serverDispatcher(scopes: scopes)
        let response = try #require(await reply(&dispatcher, "r:ChatApi.whoAmI:1:"))
        #expect(body(of: response.encoded)?["type"]?.stringValue == expected)
        // Public methods need no scopes, whatever the identity.
        let open = try #require(await reply(&dispatcher, #"r:ChatApi.sendMessage:2:{"text":"a","channelId":"b"}"#))
        #expect(body(of: open.encoded)?["type"] == "OK")
        if expected != "OK" {
            #expect(ChatApi.whoAmI.decodeSocketReply(response).error?.type == expected)
        }
    }

    @Test func floodBeyondConcurrencyBoundGetsImmediateServerErrors() throws {
        var dispatcher = try serverDispatcher(maxConcurrent: 2)
        var admitted: [InboundCall] = []
        var refused = 0
        for id in 1...50 {
            switch dispatcher.frameReceived(frame("r:ChatApi.whoAmI:\(id):")) {
            case .run(let call): admitted.append(call)
            case .reply(let buffer, let error):
                let bytes = Array(buffer.readableBytesView)
                #expect(error.type == "SERVER_ERROR")
                #expect(body(of: bytes)?["context"]?["displayMessage"] == "Too many requests in flight")
                #expect(frame(text(bytes)).id == "\(id)")
                refused += 1
            case .drop: Issue.record("an r must be answered")
            }
        }
        #expect(admitted.count == 2)
        #expect(refused == 48)
        dispatcher.callFinished()
        guard case .run = dispatcher.frameReceived(frame("r:ChatApi.whoAmI:51:")) else { throw Failure() }
        guard case .drop(.overloaded) = dispatcher.frameReceived(frame("m:ChatApi.markAsRead::{}")) else { throw Failure() }
    }

    @Test func registrationRules() throws {
        var table = SocketHandlerTable(contract: ChatApi.contract, receiving: .clientToServer)
        try table.on(ChatApi.ping) {}
        #expect(throws: SocketRegistrationError.self) { try table.on(ChatApi.ping) {} }
        // A server-to-client method cannot be handled on the server.
        #expect(throws: SocketRegistrationError.self) { try table.on(ChatApi.newMessage) { _ in } }
        #expect(table.registeredRoutes == ["ChatApi.ping"])
        table.remove(routes: ["ChatApi.ping"])
        #expect(table.registeredRoutes.isEmpty)
    }

    @Test func clientSideHandlesServerRequests() async throws {
        var table = SocketHandlerTable(contract: ChatApi.contract, receiving: .serverToClient)
        try table.on(ChatApi.areYouThere) { true }
        // Server→client methods are never gated, even without identity.
        var dispatcher = InboundDispatcher(table: table, gate: ConnectionScopes(scopes: nil))
        let response = try #require(await reply(&dispatcher, "r:ChatApi.areYouThere:1:"))
        #expect(text(response.encoded) == #"s:ChatApi.areYouThere:1:{"success":true,"type":"OK","data":true}"#)
        #expect(try ChatApi.areYouThere.decodeSocketReply(response).get() == true)
    }

    @Test func clientDecodingOfBadReplies() {
        // An error TYPE the method does not list.
        let unlisted = ChatApi.areYouThere.decodeSocketReply(frame("s:ChatApi.areYouThere:1:" + text(ROOM_FULL().jsonBytes)))
        #expect(unlisted.error?.type == "SERVER_ERROR")
        #expect(unlisted.error?.displayMessage == "Invalid response")
        // Success data that breaks the schema.
        let invalid = ChatApi.areYouThere.decodeSocketReply(frame(#"s:ChatApi.areYouThere:1:{"success":true,"type":"OK","data":"yes"}"#))
        #expect(invalid.error?.displayMessage == "Invalid response")
        // SERVER_ERROR data is dropped.
        let server = ChatApi.areYouThere.decodeSocketReply(
            frame(#"s:ChatApi.areYouThere:1:{"success":false,"type":"SERVER_ERROR","statusCode":500,"data":{"secret":1},"context":{"timestamp":1,"ref":"r"}}"#))
        #expect(server.error?.data == nil)
        #expect(ChatApi.areYouThere.decodeSocketReply(frame("s:ChatApi.areYouThere:1:")).error?.displayMessage == "Invalid response")
        #expect(ChatApi.areYouThere.decodeSocketReply(frame("s:ChatApi.areYouThere:1:{bad")).error?.displayMessage == "Invalid response")
        // A system error is understood even when not listed.
        let forbidden = ChatApi.areYouThere.decodeSocketReply(frame("s:ChatApi.areYouThere:1:" + text(FORBIDDEN().jsonBytes)))
        #expect(forbidden.error?.type == "FORBIDDEN")
    }
}
