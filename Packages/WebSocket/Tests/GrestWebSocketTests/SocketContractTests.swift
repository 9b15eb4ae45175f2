import GrestSchema
import Testing

@testable import GrestWebSocket
@testable import GrestWebSocketClient
@testable import GrestWebSocketCore

@Suite("Contract and schema builder")
struct SocketContractTests {
    @Test func routesAndModes() {
        let contract = ChatApi.contract
        #expect(contract.clientToServer.map(\.route) == ["ChatApi.sendMessage", "ChatApi.markAsRead", "ChatApi.ping", "ChatApi.whoAmI"])
        #expect(contract.serverToClient.map(\.route) == ["ChatApi.newMessage", "ChatApi.areYouThere"])
        #expect(contract.route(of: ChatApi.sendMessage) == "ChatApi.sendMessage")
        #expect(contract.method(named: "sendMessage", .clientToServer)?.isRequestResponse == true)
        #expect(contract.method(named: "markAsRead", .clientToServer)?.isRequestResponse == false)
        #expect(contract.method(named: "ping", .clientToServer)?.isRequestResponse == false)
        #expect(contract.method(named: "areYouThere", .serverToClient)?.isRequestResponse == true)
    }

    @Test("invalid definitions are refused", arguments: [
        ("Chat:Api", "m"), ("Chat Api", "m"), ("", "m"), ("ChatApi", "se:nd"), ("ChatApi", "se nd"),
    ])
    func rejectsNames(contract: String, method: String) {
        #expect(throws: ContractDefinitionError.self) {
            try SocketContract.validated(contract, clientToServer: [ContractMethod(method)], serverToClient: [])
        }
    }

    @Test func gatedMethodMustListAuthErrors() {
        #expect(throws: ContractDefinitionError.self) {
            try SocketContract.validated("A", clientToServer: [ContractMethod("x", permission: "s")], serverToClient: [])
        }
        #expect(throws: ContractDefinitionError.self) {
            try SocketContract.validated(
                "A", clientToServer: [], serverToClient: [ContractMethod("x", errors: [NOT_AUTHORIZED, FORBIDDEN], permission: "s")])
        }
    }

    @Test func duplicateNamesAndTooLongRoutes() {
        #expect(throws: ContractDefinitionError.self) {
            try SocketContract.validated("A", clientToServer: [ContractMethod("x"), ContractMethod("x")], serverToClient: [])
        }
        #expect(throws: ContractDefinitionError.self) {
            try SocketContract.validated("A", clientToServer: [ContractMethod(String(repeating: "x", count: 300))], serverToClient: [])
        }
        // The same name in both directions is fine: each side has its own table.
        #expect(throws: Never.self) {
            try SocketContract.validated("A", clientToServer: [ContractMethod("x")], serverToClient: [ContractMethod("x")])
        }
    }

    @Test func builderAndTypedQuery() throws {
        let schema = webSocketSchema(ChatApi.contract)
            .path("ws/chat")
            .queryOnConnect(IsObject(RoomQuery.init, field("room", \.room, IsString), field("version", \.version, IsInt)))
            .connectPermission("chat:use")
            .done()
        #expect(schema.path == "/ws/chat")
        #expect(schema.name == "ChatApi")
        #expect(schema.connectPermission == "chat:use")
        #expect(try schema.parseQuery(["room": "general", "version": "2"]) == RoomQuery(room: "general", version: 2))
        do {
            _ = try schema.parseQuery(["room": "general", "version": "two"])
            Issue.record("expected VALIDATION_ERROR")
        } catch {
            #expect(error.type == "VALIDATION_ERROR")
            #expect(error.displayMessage == "Invalid query parameters")
        }
        #expect(throws: ContractDefinitionError.self) { try webSocketSchema(ChatApi.contract).path("ws/c?x").validated() }
        #expect(throws: ContractDefinitionError.self) { try webSocketSchema(ChatApi.contract).validated() }
        // Without queryOnConnect any query is accepted.
        try webSocketSchema(ChatApi.contract).path("/x").done().parseQuery(["anything": "1"])
    }
}

struct Failure: Error {}
